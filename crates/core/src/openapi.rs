//! The contract as an OpenAPI 3.1 document: [`document`] turns the routes of
//! `fixtures/contract.yaml` and the JSON Schemas they name into one self-contained document, for
//! Swagger UI, Schemathesis, Prism and the like.
//!
//! Every schema file a route names, and every file those reference, becomes one entry of
//! `components/schemas` (named by its path in the schemas folder: `requests/order.json` is
//! `requests.order`), and each `$ref` is rewritten to point there, so no tool has to resolve files.

use crate::contract::{Auth, Contract, Route};
use indexmap::IndexMap;
use serde_json::{Map, Value, json};
use std::collections::VecDeque;
use std::path::{Component, Path, PathBuf};

/// What the document says about itself and where the API is served.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// `servers[0].url`, when known (`--base-url`).
    pub server: Option<String>,
}

/// The OpenAPI 3.1 document of `contract`, its schemas read from `schemas_dir`. The error names
/// the file or route to fix.
pub fn document(contract: &Contract, schemas_dir: &Path, info: &Info) -> Result<Value, String> {
    let mut bundle = Bundle::new(schemas_dir);
    let mut paths: IndexMap<String, Map<String, Value>> = IndexMap::new();
    for (key, route) in &contract.routes {
        let (method, path) = split_route(key)?;
        let op = operation(contract, key, route, &mut bundle)
            .map_err(|e| format!("route `{key}`: {e}"))?;
        paths
            .entry(path.to_string())
            .or_default()
            .insert(method.to_ascii_lowercase(), op);
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "GigGatek order & payment API",
            "version": "1.0.0",
            "description": "The contract gigcheck checks, written from its fixtures/contract.yaml and fixtures/schemas/ by `gigcheck openapi`. Error answers are JSON everywhere; a route that acts for a user answers 401 without a valid bearer token; another user's order is indistinguishable from a missing one (404).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "The token register and login hand out (HS256: user_id, is_admin, exp one hour ahead)." },
                "stripeSignature": { "type": "apiKey", "in": "header", "name": "Stripe-Signature", "description": "Stripe's signature of the event (t=…,v1=…), made with the webhook secret." },
            },
            "schemas": bundle.finish()?,
        },
    });
    if let Some(url) = &info.server {
        doc["servers"] = json!([{ "url": url }]);
    }
    Ok(doc)
}

/// `POST /api/orders` → (`POST`, `/api/orders`).
fn split_route(key: &str) -> Result<(&str, &str), String> {
    key.split_once(' ')
        .filter(|(m, p)| !m.is_empty() && p.starts_with('/'))
        .ok_or_else(|| format!("route `{key}` is not `METHOD /path`"))
}

/// The route's `operationId`: the one the contract gives, else made from its method and path
/// (`POST /api/orders/{id}/cancel` → `postApiOrdersIdCancel`).
pub fn operation_id(key: &str, route: &Route) -> String {
    if let Some(id) = &route.operation {
        return id.clone();
    }
    let mut id = String::new();
    for (i, word) in key
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let word = word.to_ascii_lowercase();
        let mut chars = word.chars();
        if i > 0
            && let Some(first) = chars.next()
        {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        } else {
            id.push_str(&word);
        }
    }
    id
}

fn operation(
    contract: &Contract,
    key: &str,
    route: &Route,
    bundle: &mut Bundle,
) -> Result<Value, String> {
    let (_, path) = split_route(key)?;
    let mut op = Map::new();
    op.insert("operationId".into(), json!(operation_id(key, route)));
    if let Some(summary) = &route.summary {
        op.insert("summary".into(), json!(summary));
    }
    if let Some(tag) = path.trim_start_matches("/api/").split('/').next() {
        op.insert("tags".into(), json!([tag]));
    }
    match route.auth {
        Some(Auth::None) => {
            op.insert("security".into(), json!([]));
        }
        Some(Auth::User) => {
            op.insert("security".into(), json!([{ "bearerAuth": [] }]));
        }
        Some(Auth::Admin) => {
            op.insert("security".into(), json!([{ "bearerAuth": [] }]));
            op.insert(
                "description".into(),
                json!("Administrators only: a customer's token answers 403."),
            );
        }
        Some(Auth::StripeSignature) => {
            op.insert("security".into(), json!([{ "stripeSignature": [] }]));
        }
        None => {}
    }
    let mut parameters: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({
                "name": name, "in": "path", "required": true,
                "description": "A database id.",
                "schema": { "type": "integer", "minimum": 1 },
            })
        })
        .collect();
    if let Some(query) = &route.query {
        parameters.extend(bundle.query_parameters(query)?);
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = &route.body {
        op.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "content": { "application/json": { "schema": bundle.reference(body)? } },
            }),
        );
    }
    let mut responses = Map::new();
    let success = route.statuses().find(|s| (200..300).contains(s));
    for (status, schema) in route.responses.iter().chain(&route.also) {
        let mut response = Map::new();
        let described = match schema {
            Some(name) => bundle.title(name)?,
            None => None,
        };
        response.insert(
            "description".into(),
            json!(described.unwrap_or_else(|| reason(*status).to_string())),
        );
        if let Some(name) = schema {
            response.insert(
                "content".into(),
                json!({ "application/json": { "schema": bundle.reference(name)? } }),
            );
        }
        if Some(*status) == success && !route.links.is_empty() {
            response.insert("links".into(), links(contract, route)?);
        }
        responses.insert(status.to_string(), Value::Object(response));
    }
    op.insert("responses".into(), Value::Object(responses));
    Ok(Value::Object(op))
}

/// The route's links as OpenAPI Link Objects. The bearer token a link hands on has no place in
/// OpenAPI's model (security is not a parameter): it goes in `x-bearer` and the description.
fn links(contract: &Contract, route: &Route) -> Result<Value, String> {
    let mut out = Map::new();
    for (name, link) in &route.links {
        let target = contract
            .routes
            .get(&link.to)
            .ok_or_else(|| format!("link `{name}` leads to unknown route `{}`", link.to))?;
        let mut l = Map::new();
        l.insert("operationId".into(), json!(operation_id(&link.to, target)));
        if !link.parameters.is_empty() {
            l.insert("parameters".into(), json!(link.parameters));
        }
        if !link.body.is_empty() {
            l.insert("requestBody".into(), json!(link.body));
        }
        let mut description = format!("Then {}.", link.to);
        if let Some(bearer) = &link.bearer {
            description.push_str(&format!(" Its bearer token is {bearer}."));
            l.insert("x-bearer".into(), json!(bearer));
        }
        l.insert("description".into(), json!(description));
        out.insert(name.clone(), Value::Object(l));
    }
    Ok(Value::Object(out))
}

/// The reason phrase of a status, for answers documented without a schema.
fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Documented answer")
}

/// The schema files a document needs, loaded once each, their `$ref`s pointing into
/// `components/schemas`.
struct Bundle {
    dir: PathBuf,
    /// Component name → schema (or `None` while queued).
    components: IndexMap<String, Option<Value>>,
    queue: VecDeque<PathBuf>,
    /// Files as read, so each is read once.
    read: std::collections::HashMap<PathBuf, Value>,
}

impl Bundle {
    fn new(dir: &Path) -> Bundle {
        Bundle {
            dir: dir.to_path_buf(),
            components: IndexMap::new(),
            queue: VecDeque::new(),
            read: std::collections::HashMap::new(),
        }
    }

    /// `{ "$ref": "#/components/schemas/…" }` for the file `name` (relative to the folder).
    fn reference(&mut self, name: &str) -> Result<Value, String> {
        let file = normalise(Path::new(name))?;
        Ok(json!({ "$ref": self.pointer(&file, "") }))
    }

    /// The file's `title`, to describe an answer by.
    fn title(&mut self, name: &str) -> Result<Option<String>, String> {
        let schema = self.read(&normalise(Path::new(name))?)?;
        Ok(schema
            .get("title")
            .and_then(Value::as_str)
            .map(String::from))
    }

    /// One query parameter per property of the schema file `name` (an object of them).
    fn query_parameters(&mut self, name: &str) -> Result<Vec<Value>, String> {
        let file = normalise(Path::new(name))?;
        let schema = self.read(&file)?;
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Err(format!(
                "query schema `{name}` has no `properties`: each property is one query parameter"
            ));
        };
        let mut out = Vec::new();
        for (param, property) in properties {
            let mut property = property.clone();
            self.rewrite(&file, &mut property)?;
            out.push(json!({
                "name": param,
                "in": "query",
                "required": required.contains(&param.as_str()),
                "schema": property,
            }));
        }
        Ok(out)
    }

    /// The component pointer for `fragment` (`/$defs/id` or empty) of `file`, queuing the file.
    fn pointer(&mut self, file: &Path, fragment: &str) -> String {
        let name = component_name(file);
        if !self.components.contains_key(&name) {
            self.components.insert(name.clone(), None);
            self.queue.push_back(file.to_path_buf());
        }
        format!("#/components/schemas/{name}{fragment}")
    }

    fn read(&mut self, file: &Path) -> Result<Value, String> {
        if let Some(schema) = self.read.get(file) {
            return Ok(schema.clone());
        }
        let path = self.dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read schema {}: {}",
                crate::diagnostic::display_path(&path),
                crate::diagnostic::io_reason(&e)
            )
        })?;
        let schema: Value = serde_json::from_str(&text).map_err(|e| {
            format!(
                "schema {} is not valid JSON (line {}, column {}): {e}",
                crate::diagnostic::display_path(&path),
                e.line(),
                e.column()
            )
        })?;
        self.read.insert(file.to_path_buf(), schema.clone());
        Ok(schema)
    }

    /// Rewrites every `$ref` in `value` (found in `file`) to its component.
    fn rewrite(&mut self, file: &Path, value: &mut Value) -> Result<(), String> {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let target = self.resolve(file, reference)?;
                    map.insert("$ref".into(), Value::String(target));
                }
                for (key, child) in map.iter_mut() {
                    if key != "$ref" {
                        self.rewrite(file, child)?;
                    }
                }
                Ok(())
            }
            Value::Array(items) => items.iter_mut().try_for_each(|v| self.rewrite(file, v)),
            _ => Ok(()),
        }
    }

    /// `common.json#/$defs/id` in `requests/order.json` → the component pointer.
    fn resolve(&mut self, file: &Path, reference: &str) -> Result<String, String> {
        let (target, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(format!(
                "{}: `$ref: {reference}`: only JSON Pointer fragments (#/…) can be bundled",
                file.display()
            ));
        }
        if target.contains("://") {
            return Err(format!(
                "{}: `$ref: {reference}` points outside the schemas folder",
                file.display()
            ));
        }
        let target = if target.is_empty() {
            file.to_path_buf()
        } else {
            normalise(&file.parent().unwrap_or(Path::new("")).join(target))?
        };
        Ok(self.pointer(&target, fragment))
    }

    /// Loads every queued file (and what they reference) and hands back `components/schemas`.
    fn finish(mut self) -> Result<Value, String> {
        while let Some(file) = self.queue.pop_front() {
            let mut schema = self.read(&file)?;
            if let Some(map) = schema.as_object_mut() {
                // The document's dialect (OpenAPI 3.1's, a superset of 2020-12) applies.
                map.remove("$schema");
            }
            self.rewrite(&file, &mut schema)?;
            self.components.insert(component_name(&file), Some(schema));
        }
        self.components.sort_keys();
        Ok(Value::Object(
            self.components
                .into_iter()
                .map(|(name, schema)| (name, schema.unwrap_or(Value::Null)))
                .collect(),
        ))
    }
}

/// `requests/../common.json` → `common.json`; an escape from the schemas folder is an error.
fn normalise(path: &Path) -> Result<PathBuf, String> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir if out.pop() => {}
            _ => {
                return Err(format!(
                    "schema `{}` is outside the schemas folder",
                    path.display()
                ));
            }
        }
    }
    Ok(out)
}

/// `requests/order.json` → `requests.order` (component names allow letters, digits, `.-_`).
fn component_name(file: &Path) -> String {
    let text = file.to_string_lossy().replace('\\', "/");
    let text = text.strip_suffix(".json").unwrap_or(&text);
    text.chars()
        .map(|c| match c {
            '/' => '.',
            c if c.is_ascii_alphanumeric() || "-_.".contains(c) => c,
            _ => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("requests")).unwrap();
        std::fs::write(
            dir.path().join("common.json"),
            r##"{"$schema":"x","$defs":{"id":{"type":"integer"},"ids":{"type":"array","items":{"$ref":"#/$defs/id"}}}}"##,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("thing.json"),
            r##"{"title":"A thing","properties":{"id":{"$ref":"common.json#/$defs/id"}}}"##,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("requests/query.json"),
            r##"{"required":["page"],"properties":{"page":{"$ref":"../common.json#/$defs/id"},"q":{"type":"string"}}}"##,
        )
        .unwrap();
        dir
    }

    #[test]
    fn bundles_every_referenced_file_with_refs_into_components() {
        let dir = schemas();
        let contract = Contract::parse(
            "routes:\n  GET /things/{id}:\n    auth: user\n    query: requests/query.json\n    responses: { 200: thing.json, 404: ~ }\n",
        )
        .unwrap();
        let doc = document(&contract, dir.path(), &Info::default()).unwrap();
        let op = &doc["paths"]["/things/{id}"]["get"];
        assert_eq!(op["operationId"], "getThingsId");
        assert_eq!(op["security"], json!([{ "bearerAuth": [] }]));
        assert_eq!(op["parameters"][0]["in"], "path");
        assert_eq!(op["parameters"][1]["name"], "page");
        assert_eq!(op["parameters"][1]["required"], true);
        assert_eq!(
            op["parameters"][1]["schema"]["$ref"],
            "#/components/schemas/common/$defs/id"
        );
        assert_eq!(op["parameters"][2]["required"], false);
        assert_eq!(op["responses"]["200"]["description"], "A thing");
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/thing"
        );
        assert_eq!(op["responses"]["404"]["description"], "Not Found");
        let components = &doc["components"]["schemas"];
        assert_eq!(
            components["common"]["$defs"]["ids"]["items"]["$ref"],
            "#/components/schemas/common/$defs/id"
        );
        assert!(components["common"].get("$schema").is_none());
        assert_eq!(
            components.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["common", "thing"]
        );
    }

    #[test]
    fn links_name_their_target_operation_and_hand_on_the_token() {
        let dir = schemas();
        let contract = Contract::parse(
            "routes:\n  POST /login:\n    operation: login\n    auth: none\n    responses: { 200: ~, 401: ~ }\n    links:\n      thing: { to: 'GET /things/{id}', parameters: { id: $response.body#/id }, bearer: $response.body#/token }\n  GET /things/{id}: [200]\n",
        )
        .unwrap();
        let doc = document(&contract, dir.path(), &Info::default()).unwrap();
        let link = &doc["paths"]["/login"]["post"]["responses"]["200"]["links"]["thing"];
        assert_eq!(link["operationId"], "getThingsId");
        assert_eq!(link["parameters"]["id"], "$response.body#/id");
        assert_eq!(link["x-bearer"], "$response.body#/token");
        assert!(
            doc["paths"]["/login"]["post"]["responses"]["401"]
                .get("links")
                .is_none()
        );
        assert_eq!(doc["paths"]["/login"]["post"]["security"], json!([]));
    }

    #[test]
    fn a_missing_file_or_an_escaping_ref_names_what_to_fix() {
        let dir = schemas();
        let contract = Contract::parse(
            "routes:\n  GET /a:\n    auth: none\n    responses: { 200: nope.json }\n",
        )
        .unwrap();
        let err = document(&contract, dir.path(), &Info::default()).unwrap_err();
        assert!(err.contains("nope.json"), "{err}");
        std::fs::write(dir.path().join("bad.json"), r#"{"$ref":"../../etc.json"}"#).unwrap();
        let contract = Contract::parse(
            "routes:\n  GET /a:\n    auth: none\n    responses: { 200: bad.json }\n",
        )
        .unwrap();
        let err = document(&contract, dir.path(), &Info::default()).unwrap_err();
        assert!(err.contains("outside the schemas folder"), "{err}");
    }
}
