//! The live progress line of a run at a terminal (indicatif): scenarios done out of the total,
//! failures so far, time elapsed; and printing above it without garbling it. Off when output
//! is not a terminal or under CI, where a plain, line-by-line log is what readers want.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Lines to stdout, with a progress line under them when wanted.
pub struct Live {
    bar: Option<ProgressBar>,
    failed: AtomicUsize,
}

/// Whether a progress line belongs here: both streams are a terminal and `CI` is not set.
pub fn wanted() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    !ci && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

impl Live {
    /// A progress line over `total` scenarios when `show` is true; plain printing otherwise.
    pub fn new(total: usize, show: bool) -> Live {
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner:.cyan} {pos}/{len} scenarios {bar:24.cyan/blue} {msg} [{elapsed}]",
            ) {
                bar.set_style(style.progress_chars("━╸─"));
            }
            bar.set_message("0 failed");
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Live {
            bar,
            failed: AtomicUsize::new(0),
        }
    }

    /// Prints text (whole lines) above the progress line.
    pub fn print(&self, text: &str) {
        let write = || out!("{text}");
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// One more scenario finished.
    pub fn advance(&self, failed: bool) {
        let failures = if failed {
            self.failed.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.failed.load(Ordering::Relaxed)
        };
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{failures} failed"));
        }
    }

    /// Removes the progress line, before the final report is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_failures_without_a_terminal() {
        let live = Live::new(3, false);
        live.advance(true);
        live.advance(false);
        live.advance(true);
        assert_eq!(live.failed.load(Ordering::Relaxed), 2);
        live.finish();
    }
}
