//! Reading requests: the JSON body extractor (wrong Content-Type → 415, over 1 MiB → 413,
//! malformed → 400 `Invalid JSON body`), typed access to body fields with messages for a
//! person, query-string parameters (pagination), and the JSON 404/405 fallbacks.
//!
//! The `html-error-pages` defect ([`super::defects`]) lives here too: the fallbacks and a
//! malformed body then answer Werkzeug's HTML pages ([`super::html`]), as a Flask app without
//! JSON error handlers does.

use super::defects::{Defect, Defects};
use super::errors::ApiError;
use super::state::AppState;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::pin::Pin;

/// The largest body any route reads.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// How much of an oversized body is read and dropped before answering 413, so that the
/// client is still listening when the answer comes.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;
/// The longest string field accepted.
const MAX_STRING: usize = 255;

/// A JSON object body.
#[derive(Debug)]
pub struct JsonBody(pub Map<String, Value>);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<JsonBody, ApiError> {
        let d = state.defects;
        if !is_json_content_type(req.headers()) && !d.has(Defect::AnyContentTypeRead) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = if d.has(Defect::NoBodyLimit) {
            DRAIN_LIMIT
        } else {
            BODY_LIMIT
        };
        let bytes = read_limited(req.into_body(), limit).await?;
        parse_object(&bytes).map(JsonBody).map_err(|e| {
            if d.has(Defect::MalformedJson500) && e == malformed() {
                // `json.loads(request.data)` raising, unhandled.
                return ApiError::internal("JSONDecodeError");
            }
            as_page_if_malformed(e, d)
        })
    }
}

/// With `html-error-pages`, a body that is not JSON at all gets Flask's HTML 400 (what
/// `request.get_json()` raises); other errors stay as they are.
fn as_page_if_malformed(e: ApiError, defects: Defects) -> ApiError {
    if defects.has(Defect::HtmlErrorPages) && e == malformed() {
        return ApiError::HtmlPage(400);
    }
    e
}

/// The error of a body that does not parse as JSON.
fn malformed() -> ApiError {
    ApiError::bad_request("Invalid JSON body")
}

/// `application/json`, `application/json; charset=utf-8`, or any `…+json` type.
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses a body that must be a JSON object.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("Request body must be a JSON object")),
        Err(_) => Err(malformed()),
    }
}

/// Reads a whole body, refusing more than `limit` bytes with 413.
pub async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else {
            // The client went away or sent a broken stream.
            return Err(ApiError::bad_request("Invalid JSON body"));
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > DRAIN_LIMIT {
            return Err(ApiError::PayloadTooLarge);
        }
        if seen <= limit {
            buf.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(Bytes::from(buf))
}

/// Typed, validated access to the fields of a JSON object body.
pub struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn present(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A non-empty string (trimmed).
    pub fn required_str(&self, name: &str) -> Result<&'a str, ApiError> {
        match self.optional_str(name)? {
            Some(s) => Ok(s),
            None => Err(missing(name)),
        }
    }

    /// A string if present and non-empty (trimmed).
    pub fn optional_str(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    Ok(None)
                } else if s.chars().count() > MAX_STRING {
                    Err(ApiError::bad_request(format!(
                        "Field '{name}' is too long (at most {MAX_STRING} characters)"
                    )))
                } else {
                    Ok(Some(s))
                }
            }
            Some(_) => Err(ApiError::bad_request(format!(
                "Field '{name}' must be a string"
            ))),
        }
    }

    /// An integer ≥ 1.
    pub fn required_id(&self, name: &str) -> Result<i64, ApiError> {
        match self.present(name) {
            None => Err(missing(name)),
            Some(v) => positive_int(v).ok_or_else(|| {
                ApiError::bad_request(format!("Field '{name}' must be a positive integer"))
            }),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.present(name).is_some()
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.present(name)
    }
}

/// The message for a missing field.
pub fn missing(name: &str) -> ApiError {
    ApiError::bad_request(format!("Missing required field: {name}"))
}

/// A JSON integer ≥ 1 (not a float, not a string).
pub fn positive_int(v: &Value) -> Option<i64> {
    v.as_i64().filter(|n| *n >= 1)
}

/// Query-string parameters; the last of a repeated name wins.
pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> QueryParams {
        let map = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        QueryParams(map)
    }

    /// A trimmed, non-empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A positive integer parameter (`page`, `per_page`, `limit`): absent → `default`;
    /// present but not a whole number ≥ 1 → 400.
    pub fn positive(&self, name: &str, default: u64) -> Result<u64, ApiError> {
        match self.0.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Invalid '{name}' parameter: must be a positive integer"
                    ))
                }),
        }
    }
}

/// A page of `per_page` rows: `(limit, offset)` for SQL, never overflowing.
pub fn limit_offset(page: u64, per_page: u64) -> (i64, i64) {
    let limit = i64::try_from(per_page).unwrap_or(i64::MAX);
    let offset = (page - 1).saturating_mul(per_page).min(i64::MAX as u64) as i64;
    (limit, offset)
}

/// How many pages `total` rows make.
pub fn page_count(total: i64, per_page: u64) -> i64 {
    let per_page = i64::try_from(per_page).unwrap_or(i64::MAX).max(1);
    (total + per_page - 1) / per_page
}

/// Unknown route → 404 JSON (with `html-error-pages`, Werkzeug's HTML 404).
pub async fn not_found(State(state): State<AppState>) -> ApiError {
    if state.defects.has(Defect::HtmlErrorPages) {
        return ApiError::HtmlPage(404);
    }
    if state.defects.has(Defect::UnknownRouteBadRequest) {
        return ApiError::bad_request("Bad request");
    }
    ApiError::NotFound("Not found".into())
}

/// Known route, wrong method → 405 JSON (with `html-error-pages`, Werkzeug's HTML 405).
pub async fn method_not_allowed(State(state): State<AppState>) -> ApiError {
    if state.defects.has(Defect::HtmlErrorPages) {
        return ApiError::HtmlPage(405);
    }
    if state.defects.has(Defect::WrongMethodNotFound) {
        return ApiError::NotFound("Not found".into());
    }
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type(&headers("application/json")));
        assert!(is_json_content_type(&headers(
            "Application/JSON; charset=utf-8"
        )));
        assert!(is_json_content_type(&headers(
            "application/merge-patch+json"
        )));
        assert!(!is_json_content_type(&headers("text/plain")));
        assert!(!is_json_content_type(&headers(
            "application/x-www-form-urlencoded"
        )));
        assert!(!is_json_content_type(&HeaderMap::new()));
    }

    #[test]
    fn only_malformed_bodies_become_pages() {
        let html: Defects = Defect::HtmlErrorPages.into();
        assert_eq!(
            as_page_if_malformed(malformed(), html),
            ApiError::HtmlPage(400)
        );
        assert_eq!(
            as_page_if_malformed(malformed(), Defects::NONE),
            malformed()
        );
        let not_object = parse_object(b"[1]").unwrap_err();
        assert_eq!(as_page_if_malformed(not_object.clone(), html), not_object);
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(parse_object(br#"{"a":1}"#).is_ok());
        assert_eq!(
            parse_object(b"{not json").unwrap_err(),
            ApiError::bad_request("Invalid JSON body")
        );
        assert_eq!(
            parse_object(b"[1,2]").unwrap_err(),
            ApiError::bad_request("Request body must be a JSON object")
        );
    }

    #[tokio::test]
    async fn body_limit() {
        let ok = read_limited(Body::from(vec![b'x'; BODY_LIMIT]), BODY_LIMIT).await;
        assert_eq!(ok.unwrap().len(), BODY_LIMIT);
        let big = read_limited(Body::from(vec![b'x'; BODY_LIMIT + 1]), BODY_LIMIT).await;
        assert_eq!(big.unwrap_err(), ApiError::PayloadTooLarge);
    }

    #[test]
    fn fields() {
        let map = json!({"a": " x ", "b": "", "c": 3, "d": 1.5, "e": "7", "f": null, "g": 0})
            .as_object()
            .unwrap()
            .clone();
        let f = Fields(&map);
        assert_eq!(f.required_str("a").unwrap(), "x");
        assert_eq!(f.required_str("b").unwrap_err(), missing("b"));
        assert_eq!(f.required_str("f").unwrap_err(), missing("f"));
        assert!(f.required_str("c").is_err());
        assert_eq!(f.required_id("c").unwrap(), 3);
        assert!(f.required_id("d").is_err());
        assert!(f.required_id("e").is_err());
        assert!(f.required_id("g").is_err());
        assert_eq!(f.required_id("zz").unwrap_err(), missing("zz"));
    }

    #[test]
    fn pagination() {
        let q = QueryParams::parse(Some(
            "page=2&per_page=abc&x=-1&y=0&z=1.5&big=99999999999999999999999",
        ));
        assert_eq!(q.positive("page", 1).unwrap(), 2);
        assert_eq!(q.positive("missing", 10).unwrap(), 10);
        for bad in ["per_page", "x", "y", "z", "big"] {
            assert!(q.positive(bad, 1).is_err(), "{bad}");
        }
        assert_eq!(limit_offset(3, 10), (10, 20));
        assert_eq!(limit_offset(u64::MAX, 50).1, i64::MAX);
        assert_eq!(page_count(0, 10), 0);
        assert_eq!(page_count(10, 10), 1);
        assert_eq!(page_count(11, 10), 2);
    }
}
