//! JSONPath assertions on the response body.

use crate::spec::template::Lookup;
use crate::spec::values::{BodyPath, is_singular_path, parse_json_path};
use serde_json::Value;

/// The parsed query, rendering `{{placeholders}}` in it first when it has any.
pub(crate) fn resolve_path(
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

/// For a simple path (`$.a.b[0].c`) that finds nothing because one key is misspelt, the path
/// with the closest key the body has there: `$.pagination.totl` → `$.pagination.total`.
pub(crate) fn near_miss(path: &str, json: &Value) -> Option<String> {
    let mut node = json;
    let mut walked = String::from("$");
    let mut rest = path.strip_prefix('$')?;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let (index, tail) = after.split_once(']')?;
            node = node.get(index.parse::<usize>().ok()?)?;
            walked.push_str(&format!("[{index}]"));
            rest = tail;
            continue;
        }
        let after = rest.strip_prefix('.')?;
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let (key, tail) = after.split_at(end);
        match node.get(key) {
            Some(next) => {
                node = next;
                walked.push('.');
                walked.push_str(key);
                rest = tail;
            }
            None => {
                let lower = key.to_lowercase();
                let best = node
                    .as_object()?
                    .keys()
                    .map(|k| (k, strsim::jaro_winkler(&lower, &k.to_lowercase())))
                    .filter(|(_, score)| *score >= 0.8)
                    .max_by(|a, b| a.1.total_cmp(&b.1))?
                    .0;
                return Some(format!("{walked}.{best}{tail}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::spec::template::NoVars;

    #[test]
    fn a_misspelt_key_is_given_its_closest_neighbour() {
        let body = json!({"products": [{"name": "x"}], "pagination": {"total": 3}});
        assert_eq!(
            near_miss("$.pagination.totl", &body).as_deref(),
            Some("$.pagination.total")
        );
        assert_eq!(
            near_miss("$.prodcts[0].name", &body).as_deref(),
            Some("$.products[0].name")
        );
        assert_eq!(
            near_miss("$.products[0].nmae", &body).as_deref(),
            Some("$.products[0].name")
        );
        assert_eq!(near_miss("$.zzz", &body), None);
        assert_eq!(
            near_miss("$.pagination.total", &body),
            None,
            "nothing is missing"
        );
        assert_eq!(
            near_miss("$.products[*].nmae", &body),
            None,
            "not a simple path"
        );
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
