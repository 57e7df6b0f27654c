//! Stripe's list object and cursor pagination: `{"object": "list", "data", "has_more", "url"}`
//! with `limit` (1–100, default 10), `starting_after` and `ending_before` (object ids).

use super::errors::{ApiError, ApiResult};
use super::params::Params;
use serde_json::{Value, json};

/// One page of `items` (already newest first and filtered).
pub(super) fn page(items: Vec<Value>, params: &Params, url: &str) -> ApiResult<Value> {
    let limit = params.limit()?;
    let position = |param: &str, id: &str| {
        items
            .iter()
            .position(|item| item["id"] == id)
            .ok_or_else(|| ApiError::bad_value(param, format!("No such object: '{id}'")))
    };
    let (window, has_more): (&[Value], bool) =
        if let Some(id) = params.optional_text("starting_after")? {
            let after = &items[position("starting_after", &id)? + 1..];
            let end = after.len().min(limit);
            (&after[..end], after.len() > limit)
        } else if let Some(id) = params.optional_text("ending_before")? {
            let before = &items[..position("ending_before", &id)?];
            let start = before.len().saturating_sub(limit);
            (&before[start..], start > 0)
        } else {
            let end = items.len().min(limit);
            (&items[..end], items.len() > limit)
        };
    Ok(json!({
        "object": "list",
        "data": window,
        "has_more": has_more,
        "url": url,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stripe::form;

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(|i| json!({"id": format!("x_{i}")})).collect()
    }

    fn ids(page: &Value) -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    }

    fn params(query: &str) -> Params {
        Params(form::parse(query).unwrap())
    }

    #[test]
    fn pages_forward_and_backward() {
        let first = page(items(5), &params("limit=2"), "/v1/x").unwrap();
        assert_eq!(ids(&first), ["x_0", "x_1"]);
        assert_eq!(first["has_more"], true);
        let next = page(items(5), &params("limit=2&starting_after=x_3"), "/v1/x").unwrap();
        assert_eq!(ids(&next), ["x_4"]);
        assert_eq!(next["has_more"], false);
        let back = page(items(5), &params("limit=2&ending_before=x_3"), "/v1/x").unwrap();
        assert_eq!(ids(&back), ["x_1", "x_2"]);
        assert_eq!(back["has_more"], true);
        assert!(page(items(5), &params("starting_after=nope"), "/v1/x").is_err());
        assert!(page(items(5), &params("limit=0"), "/v1/x").is_err());
        assert!(page(items(5), &params("limit=101"), "/v1/x").is_err());
    }
}
