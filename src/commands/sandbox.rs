//! `gigcheck sandbox`: serve the reference GigGatek backend in the foreground until Ctrl-C.

use crate::cli::{Exit, SandboxArgs};

pub fn serve(_args: SandboxArgs) -> Exit {
    eprintln!("error: the sandbox is not built yet");
    Exit::Usage
}
