//! `gigcheck schema`: prints the JSON Schema of the spec format (draft 2020-12), generated from
//! the spec model (see [`crate::spec::schema`]). `specs/gigcheck.schema.json` is this output.

use crate::cli::Exit;
use std::io::Write;

pub fn schema() -> Exit {
    let text = crate::spec::schema::spec_file_schema_text();
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Passed,
        // A closed pipe (`gigcheck schema | head`) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Passed,
        Err(e) => {
            eprintln!("error: cannot write the schema: {e}");
            Exit::Usage
        }
    }
}
