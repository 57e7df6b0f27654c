//! `gigcheck schema`: prints the JSON Schema of the spec format.

use crate::cli::Exit;

pub fn schema() -> Exit {
    eprintln!("error: `gigcheck schema` is not built yet");
    Exit::Usage
}
