//! `gigcheck openapi`: prints the project's contract as an OpenAPI 3.1 document (JSON), built by
//! [`gigcheck_core::openapi`] from `fixtures/contract.yaml` and the schemas its routes name.

use crate::cli::{Exit, OpenapiArgs};
use gigcheck_core::contract::Contract;
use std::path::PathBuf;

pub fn openapi(args: OpenapiArgs) -> Exit {
    let info = gigcheck_core::openapi::Info {
        server: args.base_url,
    };
    match document(args.project.as_ref(), args.schemas, &info) {
        Ok((_, doc)) => {
            out!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
            Exit::Passed
        }
        Err(exit) => exit,
    }
}

/// The project's contract and its OpenAPI document; a usage error is printed.
pub(super) fn document(
    project: Option<&PathBuf>,
    schemas: Option<PathBuf>,
    info: &gigcheck_core::openapi::Info,
) -> Result<(Contract, serde_json::Value), Exit> {
    let Some(root) = project_root(project) else {
        match project {
            Some(dir) => errln!(
                "error: --project {}: there is no fixtures/contract.yaml in it; give the folder that holds fixtures/",
                dir.display()
            ),
            None => errln!(
                "error: no fixtures/contract.yaml in this folder or one above it; give the project with --project DIR"
            ),
        }
        return Err(Exit::Usage);
    };
    let fixtures = root.join("fixtures");
    let contract = Contract::load(&fixtures.join("contract.yaml")).map_err(|e| {
        errln!("error: {e}");
        Exit::Usage
    })?;
    if contract.routes.is_empty() {
        errln!(
            "error: {} lists no routes: add them under `routes:`",
            fixtures.join("contract.yaml").display()
        );
        return Err(Exit::Usage);
    }
    let schemas = schemas.unwrap_or_else(|| fixtures.join("schemas"));
    let doc = gigcheck_core::openapi::document(&contract, &schemas, info).map_err(|e| {
        errln!("error: {e}");
        Exit::Usage
    })?;
    Ok((contract, doc))
}

/// The folder holding `fixtures/contract.yaml`: the one given, else this folder or the nearest
/// above it that has one.
pub(super) fn project_root(given: Option<&PathBuf>) -> Option<PathBuf> {
    let has_contract = |dir: &std::path::Path| dir.join("fixtures/contract.yaml").is_file();
    match given {
        Some(dir) => has_contract(dir).then(|| dir.clone()),
        None => {
            let here = std::env::current_dir().ok()?;
            here.ancestors()
                .find(|dir| has_contract(dir))
                .map(std::path::Path::to_path_buf)
        }
    }
}
