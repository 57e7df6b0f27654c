//! `gigcheck stripe`: serve the Stripe emulator in the foreground until Ctrl-C.

use crate::cli::{Exit, StripeArgs};

pub fn serve(_args: StripeArgs) -> Exit {
    eprintln!("error: the Stripe emulator is not built yet");
    Exit::Usage
}
