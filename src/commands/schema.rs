//! `gigcheck schema`: prints the JSON Schema of the spec format (draft 2020-12), generated from
//! the spec model (see [`gigcheck_core::spec::schema`]). `specs/gigcheck.schema.json` is this output.
//! With `--report`, the schema of the JSON report ([`gigcheck_core::report::json`]) instead.

use crate::cli::{Exit, SchemaArgs};

pub fn schema(args: SchemaArgs) -> Exit {
    let text = if args.report {
        let schema = gigcheck_core::report::json::JsonReport::schema();
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    } else {
        gigcheck_core::spec::schema::spec_file_schema_text()
    };
    out!("{text}");
    Exit::Passed
}
