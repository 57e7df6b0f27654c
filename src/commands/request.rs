//! `gigcheck request`: one request, shown in full.

use crate::cli::{Exit, RequestArgs};

pub fn request(_args: RequestArgs, _color: bool) -> Exit {
    eprintln!("error: `gigcheck request` is not built yet");
    Exit::Usage
}
