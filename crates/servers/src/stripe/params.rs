//! The request parameters: an axum extractor that reads the query string and (for POST) the
//! form body with [`super::form::parse`], and typed getters that answer Stripe's validation
//! errors (`Missing required param: amount.`, `Invalid integer: abc`, …). Parameters the
//! emulator does not know are accepted and ignored.

use super::errors::{ApiError, ApiResult};
use super::form::{self, FormMap, FormValue};
use super::objects::Metadata;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};

/// The most a request body may hold.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The parameters of one request.
#[derive(Debug, Default, Clone)]
pub(super) struct Params(pub FormMap);

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Params, ApiError> {
        let mut params = form::parse(request.uri().query().unwrap_or("")).map_err(malformed)?;
        if request.method() != Method::POST {
            return Ok(Params(params));
        }
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        if is_json {
            return Err(unparseable(
                "Invalid request: Stripe's v1 API takes form-encoded bodies (application/x-www-form-urlencoded), not JSON.".into(),
            ));
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                unparseable(
                    "Invalid request: the body could not be read (larger than 1 MiB?).".into(),
                )
            })?;
        let body = form::parse(&String::from_utf8_lossy(&bytes)).map_err(malformed)?;
        params.extend(body);
        Ok(Params(params))
    }
}

fn malformed(error: form::FormError) -> ApiError {
    unparseable(format!("Invalid request: {error}."))
}

/// 400 for a request whose parameters cannot be read at all (not stored for idempotency).
fn unparseable(message: String) -> ApiError {
    let mut error = ApiError::invalid_request(message);
    error.stored = false;
    error
}

fn bad_value(param: &str, message: String) -> ApiError {
    ApiError::bad_value(param, message)
}

fn describe(value: &FormValue) -> String {
    match value {
        FormValue::Text(text) => text.clone(),
        other => other.to_json().to_string(),
    }
}

impl Params {
    pub(super) fn get(&self, name: &str) -> Option<&FormValue> {
        self.0.get(name)
    }

    /// A string parameter.
    pub(super) fn text(&self, name: &str) -> ApiResult<Option<&str>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(FormValue::Text(text)) => Ok(Some(text)),
            Some(other) => Err(bad_value(
                name,
                format!("Invalid string: {}", describe(other)),
            )),
        }
    }

    /// A string parameter where `""` means "not given" (Stripe's way of unsetting a field).
    pub(super) fn optional_text(&self, name: &str) -> ApiResult<Option<String>> {
        Ok(self
            .text(name)?
            .filter(|t| !t.is_empty())
            .map(str::to_string))
    }

    /// An integer parameter.
    pub(super) fn integer(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(FormValue::Text(text)) => text.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::invalid_param(
                    name,
                    "parameter_invalid_integer",
                    format!("Invalid integer: {text}"),
                )
            }),
            Some(other) => Err(ApiError::invalid_param(
                name,
                "parameter_invalid_integer",
                format!("Invalid integer: {}", describe(other)),
            )),
        }
    }

    /// A boolean parameter (`true` / `false`).
    pub(super) fn boolean(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.text(name)? {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(bad_value(name, format!("Invalid boolean: {other}"))),
        }
    }

    /// A string parameter limited to `allowed`.
    pub(super) fn one_of(&self, name: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        let Some(value) = self.optional_text(name)? else {
            return Ok(None);
        };
        if allowed.contains(&value.as_str()) {
            return Ok(Some(value));
        }
        let listed = match allowed.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
            _ => allowed.join(", "),
        };
        Err(bad_value(
            name,
            format!("Invalid {name}: must be one of {listed}"),
        ))
    }

    /// A hash parameter (`name[key]=…`).
    pub(super) fn map(&self, name: &str) -> ApiResult<Option<&FormMap>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(FormValue::Map(map)) => Ok(Some(map)),
            Some(FormValue::Text(text)) if text.is_empty() => Ok(None),
            Some(other) => Err(bad_value(
                name,
                format!("Invalid hash: {}", describe(other)),
            )),
        }
    }

    /// An array of strings (`name[0]=…` or `name[]=…`).
    pub(super) fn string_list(&self, name: &str) -> ApiResult<Option<Vec<String>>> {
        let Some(value) = self.0.get(name) else {
            return Ok(None);
        };
        let invalid = || bad_value(name, format!("Invalid array: {}", describe(value)));
        let items = value.as_list().ok_or_else(invalid)?;
        items
            .into_iter()
            .map(|item| item.as_text().map(str::to_string).ok_or_else(invalid))
            .collect::<ApiResult<Vec<String>>>()
            .map(Some)
    }

    /// `metadata`: a hash of strings. `metadata=` (empty) is an empty hash: it unsets all keys.
    pub(super) fn metadata(&self) -> ApiResult<Option<Metadata>> {
        let Some(map) = (match self.0.get("metadata") {
            None => return Ok(None),
            Some(FormValue::Text(text)) if text.is_empty() => return Ok(Some(Metadata::new())),
            Some(FormValue::Map(map)) => Some(map),
            Some(other) => {
                return Err(bad_value(
                    "metadata",
                    format!("Invalid hash: {}", describe(other)),
                ));
            }
        }) else {
            return Ok(None);
        };
        if map.len() > 50 {
            return Err(bad_value(
                "metadata",
                "You can specify up to 50 keys in metadata.".into(),
            ));
        }
        let mut metadata = Metadata::new();
        for (key, value) in map {
            let param = format!("metadata[{key}]");
            let Some(text) = value.as_text() else {
                return Err(bad_value(
                    &param,
                    format!("Invalid string: {}", describe(value)),
                ));
            };
            if key.chars().count() > 40 {
                return Err(bad_value(
                    &param,
                    "Metadata keys can have a maximum length of 40 characters.".into(),
                ));
            }
            if text.chars().count() > 500 {
                return Err(bad_value(
                    &param,
                    "Metadata values can have a maximum length of 500 characters.".into(),
                ));
            }
            metadata.insert(key.clone(), text.to_string());
        }
        Ok(Some(metadata))
    }

    /// `expand[]`: which id fields to replace with their objects.
    pub(super) fn expand(&self) -> ApiResult<Vec<String>> {
        Ok(self.string_list("expand")?.unwrap_or_default())
    }

    /// `limit` for lists: 1 to 100, default 10.
    pub(super) fn limit(&self) -> ApiResult<usize> {
        match self.integer("limit")? {
            None => Ok(10),
            Some(n) if (1..=100).contains(&n) => Ok(n as usize),
            Some(n) => Err(bad_value(
                "limit",
                format!("Invalid limit: must be between 1 and 100 (got {n})."),
            )),
        }
    }
}

/// Applies `update` onto `metadata` the way Stripe does: an empty value removes the key, an empty
/// hash removes every key.
pub(super) fn merge_metadata(metadata: &mut Metadata, update: Metadata) {
    if update.is_empty() {
        metadata.clear();
    }
    for (key, value) in update {
        if value.is_empty() {
            metadata.shift_remove(&key);
        } else {
            metadata.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(body: &str) -> Params {
        Params(form::parse(body).unwrap())
    }

    #[test]
    fn typed_getters() {
        let p = params("amount=2000&confirm=true&types[0]=card&types[1]=link&metadata[a]=1&bad=x");
        assert_eq!(p.integer("amount").unwrap(), Some(2000));
        assert_eq!(p.boolean("confirm").unwrap(), Some(true));
        assert_eq!(p.string_list("types").unwrap().unwrap(), ["card", "link"]);
        assert_eq!(p.metadata().unwrap().unwrap()["a"], "1");
        assert!(p.integer("bad").is_err());
        assert!(p.boolean("bad").is_err());
        assert!(p.integer("missing").unwrap().is_none());
        assert_eq!(p.optional_text("missing").unwrap(), None);
        assert_eq!(p.text("amount").unwrap(), Some("2000"));
    }

    #[test]
    fn shapes_are_checked() {
        let p = params("amount[x]=1&metadata[a][b]=1&expand=x");
        assert!(p.integer("amount").is_err());
        assert!(p.text("amount").is_err());
        assert!(p.metadata().is_err());
        assert!(p.expand().is_err());
    }

    #[test]
    fn enums_list_their_values() {
        let p = params("reason=nope");
        let error = p
            .one_of(
                "reason",
                &["duplicate", "fraudulent", "requested_by_customer"],
            )
            .unwrap_err();
        assert_eq!(
            error.body()["error"]["message"],
            "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer"
        );
    }

    #[test]
    fn metadata_merges_like_stripe() {
        let mut metadata = Metadata::new();
        metadata.insert("a".into(), "1".into());
        metadata.insert("b".into(), "2".into());
        merge_metadata(
            &mut metadata,
            params("metadata[a]=&metadata[c]=3")
                .metadata()
                .unwrap()
                .unwrap(),
        );
        assert_eq!(metadata.keys().collect::<Vec<_>>(), ["b", "c"]);
        merge_metadata(
            &mut metadata,
            params("metadata=").metadata().unwrap().unwrap(),
        );
        assert!(metadata.is_empty());
    }
}
