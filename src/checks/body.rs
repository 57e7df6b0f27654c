//! JSONPath assertions on the response body.

use crate::spec::template::Lookup;
use crate::spec::values::{BodyPath, is_singular_path, parse_json_path};
use serde_json::Value;

/// The parsed query, rendering `{{placeholders}}` in it first when it has any.
pub fn resolve_path(
    path: &BodyPath,
    lookup: &dyn Lookup,
) -> Result<serde_json_path::JsonPath, String> {
    match &path.parsed {
        Some(p) => Ok(p.clone()),
        None => {
            let text = path
                .template
                .render(lookup)
                .map_err(|e| format!("cannot render JSONPath {}: {e}", path.as_str()))?;
            parse_json_path(&text)
        }
    }
}

/// What a JSONPath selects, as one value: a singular query gives its node (or nothing); any other
/// query gives the array of all nodes it selects (possibly empty), so `length` and `contains` work.
pub fn select(path: &BodyPath, json: &Value, lookup: &dyn Lookup) -> Result<Option<Value>, String> {
    let query = resolve_path(path, lookup)?;
    let nodes = query.query(json);
    if is_singular_path(path.as_str()) {
        Ok(nodes.first().cloned())
    } else {
        Ok(Some(Value::Array(
            nodes.all().into_iter().cloned().collect(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct NoVars;
    impl Lookup for NoVars {
        fn var(&self, _: &str) -> Option<&Value> {
            None
        }
        fn env(&self, _: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn singular_and_plural_selection() {
        let body = json!({"orders": [{"id": 1, "status": "paid"}, {"id": 2, "status": "pending"}]});
        let p = |s: &str| BodyPath::parse(s).unwrap();
        assert_eq!(
            select(&p("$.orders[0].id"), &body, &NoVars).unwrap(),
            Some(json!(1))
        );
        assert_eq!(select(&p("$.orders[5].id"), &body, &NoVars).unwrap(), None);
        assert_eq!(
            select(&p("$.orders[?@.status == 'paid'].id"), &body, &NoVars).unwrap(),
            Some(json!([1]))
        );
        assert_eq!(
            select(&p("$.orders[*].nope"), &body, &NoVars).unwrap(),
            Some(json!([]))
        );
    }
}
