//! Printing to stdout and stderr without ever panicking.
//!
//! `println!` panics when its stream is gone (`gigcheck run | head -1` closes stdout early).
//! A reader that stopped reading is not an error of the run: from then on that stream's output
//! is dropped quietly and the command finishes its work — reports are still written, and the
//! exit code is the run's. [`out!`](crate::out), [`outln!`](crate::outln),
//! [`err!`](crate::err) and [`errln!`](crate::errln) are the project's only way to print.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Which stream to write to.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn gone(self) -> &'static AtomicBool {
        match self {
            Stream::Stdout => &STDOUT_GONE,
            Stream::Stderr => &STDERR_GONE,
        }
    }
}

/// Writes to `stream` unless it was found closed; a failed write marks it closed.
pub fn write(stream: Stream, args: std::fmt::Arguments<'_>) {
    let gone = stream.gone();
    if gone.load(Ordering::Relaxed) {
        return;
    }
    let result = match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_fmt(args).and_then(|()| out.flush())
        }
        Stream::Stderr => std::io::stderr().lock().write_fmt(args),
    };
    // Any failure (a closed pipe, a full disk behind a redirect) ends that stream's output:
    // there is nowhere left to say so.
    if result.is_err() {
        gone.store(true, Ordering::Relaxed);
    }
}

/// Whether stdout was found closed (its reader went away).
pub fn stdout_closed() -> bool {
    STDOUT_GONE.load(Ordering::Relaxed)
}

/// `print!` that never panics (see [the module](crate::console)).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::console::write($crate::console::Stream::Stdout, format_args!($($arg)*))
    };
}

/// `println!` that never panics (see [the module](crate::console)).
#[macro_export]
macro_rules! outln {
    () => { $crate::out!("\n") };
    ($($arg:tt)*) => {
        $crate::console::write($crate::console::Stream::Stdout, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics (see [the module](crate::console)).
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::console::write($crate::console::Stream::Stderr, format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics (see [the module](crate::console)).
#[macro_export]
macro_rules! errln {
    () => { $crate::err!("\n") };
    ($($arg:tt)*) => {
        $crate::console::write($crate::console::Stream::Stderr, format_args!("{}\n", format_args!($($arg)*)))
    };
}
