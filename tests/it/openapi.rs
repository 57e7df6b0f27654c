//! `gigcheck openapi`: the contract as an OpenAPI 3.1 document. It validates with a standard
//! validator (openapi-spec-validator, from the tests' virtualenv), covers every route and
//! documented status of `fixtures/contract.yaml` with the schemas the contract names, and follows
//! the fixtures: a schema edited there shows up in the next document.

use crate::common;
use common::*;
use serde_json::Value;

fn document(p: &Project) -> Value {
    let out = p.gigcheck(&["openapi", "--base-url", "http://127.0.0.1:5000"]);
    assert_eq!(out.code, 0, "{}", out.all());
    serde_json::from_str(&out.stdout).expect("JSON on stdout")
}

#[test]
fn the_document_validates_and_covers_every_route_and_status() {
    let p = Project::new();
    copy_project_fixtures(&p);
    let doc = document(&p);
    p.write("openapi.json", &serde_json::to_string(&doc).unwrap());
    run_ok(
        std::process::Command::new(python())
            .args(["-m", "openapi_spec_validator"])
            .arg(p.path("openapi.json")),
        "openapi-spec-validator",
    );

    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:5000");
    let contract: serde_yaml_like::Contract = serde_yaml_like::read(&p);
    let mut operations = 0;
    for (route, statuses) in &contract.routes {
        let (method, path) = route.split_once(' ').unwrap();
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{route} is missing");
        operations += 1;
        for status in statuses {
            let response = &op["responses"][status.to_string()];
            assert!(
                response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("#/components/schemas/")),
                "{route} {status}: {response}"
            );
        }
    }
    assert_eq!(operations, 16);
    // Every reference resolves inside the document.
    let text = serde_json::to_string(&doc).unwrap();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let pointer = reference.split('"').next().unwrap();
        let pointer = pointer.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "dangling $ref #{pointer}");
    }
    // Request bodies, query parameters, security and links come from the contract.
    let place = &doc["paths"]["/api/orders"]["post"];
    assert_eq!(place["operationId"], "placeOrder");
    assert_eq!(place["security"][0]["bearerAuth"], serde_json::json!([]));
    assert_eq!(
        place["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/requests.order"
    );
    assert_eq!(
        place["responses"]["201"]["links"]["detail"]["operationId"],
        "getOrder"
    );
    assert_eq!(
        place["responses"]["201"]["links"]["detail"]["parameters"]["id"],
        "$response.body#/order/id"
    );
    let query: Vec<&str> = doc["paths"]["/api/orders"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(query, ["status", "page", "per_page"]);
    assert_eq!(
        doc["paths"]["/api/payment/webhook"]["post"]["security"][0]["stripeSignature"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["paths"]["/api/auth/register"]["post"]["responses"]["201"]["links"]["me"]["x-bearer"],
        "$response.body#/token"
    );
}

#[test]
fn a_schema_changed_in_the_fixtures_shows_up_in_the_document() {
    let p = Project::new();
    copy_project_fixtures(&p);
    let before = document(&p);
    let path = "fixtures/schemas/requests/order.json";
    let mut schema: Value = serde_json::from_str(&p.read(path)).unwrap();
    schema["properties"]["gift_note"] = serde_json::json!({ "type": "string", "maxLength": 140 });
    p.write(path, &serde_json::to_string_pretty(&schema).unwrap());
    let after = document(&p);
    let order = "/components/schemas/requests.order/properties/gift_note/maxLength";
    assert!(before.pointer(order).is_none());
    assert_eq!(after.pointer(order), Some(&serde_json::json!(140)));
}

#[test]
fn a_broken_contract_or_schema_is_a_usage_error_naming_it() {
    let p = Project::new();
    let out = p.gigcheck(&["openapi"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("no fixtures/contract.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());

    copy_project_fixtures(&p);
    std::fs::remove_file(p.path("fixtures/schemas/requests/login.json")).unwrap();
    let out = p.gigcheck(&["openapi"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("requests/login.json"), "{}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "nothing half-written: {}",
        out.stdout
    );

    let out = p.gigcheck(&["openapi", "--base-url", "ftp://x"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("not an http(s) URL"), "{}", out.stderr);
}

/// The routes and their documented statuses, read from the contract the way a reader of the
/// YAML would, without gigcheck's own model.
mod serde_yaml_like {
    use super::Project;

    pub struct Contract {
        pub routes: Vec<(String, Vec<u16>)>,
    }

    pub fn read(p: &Project) -> Contract {
        let text = p.read("fixtures/contract.yaml");
        let section = text
            .split("\nroutes:\n")
            .nth(1)
            .and_then(|rest| rest.split("\nrules:\n").next())
            .expect("a routes section");
        let mut routes = Vec::new();
        for line in section.lines() {
            if let Some(route) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
                routes.push((route.trim_end_matches(':').to_string(), Vec::new()));
            } else if let Some(responses) = line.trim().strip_prefix("responses: {") {
                let statuses = responses
                    .trim_end_matches('}')
                    .split(',')
                    .filter_map(|pair| pair.split(':').next()?.trim().parse::<u16>().ok());
                routes.last_mut().expect("a route").1.extend(statuses);
            }
        }
        Contract { routes }
    }
}
