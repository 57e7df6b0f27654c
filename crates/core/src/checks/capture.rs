//! Captures: values taken from a response into variables for later steps, keeping JSON types.

use crate::spec::Capture;
use crate::spec::template::Lookup;
use serde_json::Value;

/// The parts of a response a capture can read.
pub struct ResponseParts<'a> {
    /// Response headers as `(name, value)`, one entry per value.
    pub headers: &'a [(String, String)],
    /// The body as text (invalid UTF-8 replaced), for regex captures.
    pub text: &'a str,
    /// The body parsed as JSON, or why it is not JSON.
    pub json: Result<&'a Value, &'a str>,
}

/// The value of header `name`, matched case-insensitively; several values are joined with
/// `, `. `None` when the response has no such header.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<String> {
    let values: Vec<&'a str> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The captured value, or why there is none.
pub fn capture(
    capture: &Capture,
    response: &ResponseParts,
    lookup: &dyn Lookup,
) -> Result<Value, String> {
    match capture {
        Capture::Body(path) => {
            let json = response
                .json
                .map_err(|e| format!("the body is not JSON ({e})"))?;
            let query = super::body::resolve_path(path, lookup)?;
            let nodes = query.query(json);
            match nodes.len() {
                0 => Err(match super::body::near_miss(path.as_str(), json) {
                    Some(near) => {
                        format!("{} matched nothing; did you mean {near}?", path.as_str())
                    }
                    None => format!("{} matched nothing", path.as_str()),
                }),
                1 => Ok(nodes.first().cloned().unwrap_or(Value::Null)),
                _ => Ok(Value::Array(nodes.all().into_iter().cloned().collect())),
            }
        }
        Capture::Header(name) => header(response.headers, name)
            .map(Value::String)
            .ok_or_else(|| format!("the response has no `{name}` header")),
        Capture::Regex { pattern, group } => pattern
            .0
            .captures(response.text)
            .and_then(|c| c.get(*group))
            .map(|m| Value::String(m.as_str().to_string()))
            .ok_or_else(|| format!("/{}/ did not match the body", pattern.0.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::spec::template::NoVars;

    #[test]
    fn captures_keep_types() {
        let body = json!({"order": {"id": 7, "items": [{"sku": "a"}, {"sku": "b"}]}});
        let headers = vec![("Location".to_string(), "/api/orders/7".to_string())];
        let parts = ResponseParts {
            headers: &headers,
            text: "id=7;",
            json: Ok(&body),
        };
        let c = |yaml: &str| capture(&crate::yaml::from_str(yaml).unwrap(), &parts, &NoVars);
        assert_eq!(c("$.order.id").unwrap(), json!(7));
        assert_eq!(c("$.order.items[*].sku").unwrap(), json!(["a", "b"]));
        assert_eq!(c("{ header: location }").unwrap(), json!("/api/orders/7"));
        assert_eq!(c("{ regex: 'id=(\\d+)' }").unwrap(), json!("7"));
        assert!(c("$.nope").unwrap_err().contains("matched nothing"));
        assert!(c("{ header: X-None }").is_err());
    }
}
