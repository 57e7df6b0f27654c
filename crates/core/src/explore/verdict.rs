//! Judging one answer of an exploration: the first thing wrong with it, worst first, so that a
//! bad answer is one finding with one cause, not a cascade.

use super::cases::{Case, Want};
use super::operations::Operation;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// What an answer broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// A 5xx the contract does not allow there.
    ServerError,
    /// An error that shows internals: a stack trace, SQL, a file path, a secret.
    Leak,
    /// A signed-in route answered without a valid token, or an administrator's route to a customer.
    AuthNotEnforced,
    /// Another customer's resource answered differently from a missing one.
    OthersResource,
    /// Invalid data accepted.
    NegativeAccepted,
    /// Valid data refused.
    PositiveRefused,
    /// A convention every route keeps: 404 for a path the API does not have, 405 for a method
    /// a path does not take, 413 for a body over 1 MiB.
    Convention,
    /// A status the contract does not document for the route.
    UndocumentedStatus,
    /// A body that is not JSON, or not served as `application/json`.
    ContentType,
    /// A JSON body that breaks the schema of its status.
    ResponseSchema,
    /// A rule of an order's life broken along one of the walks: stock not given back, a paid
    /// order not refunded in full, more refunded than paid, a final status left.
    Lifecycle,
    /// A state the contract forbids, seen after the requests (negative stock, a cancelled order
    /// that is not cancelled any more).
    Invariant,
}

impl Check {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Check::ServerError => "server error",
            Check::Leak => "internals leaked",
            Check::AuthNotEnforced => "auth not enforced",
            Check::OthersResource => "another customer's data told apart from missing",
            Check::NegativeAccepted => "invalid data accepted",
            Check::PositiveRefused => "valid data refused",
            Check::Convention => "convention broken",
            Check::UndocumentedStatus => "undocumented status",
            Check::ContentType => "not JSON",
            Check::ResponseSchema => "response schema",
            Check::Lifecycle => "lifecycle rule broken",
            Check::Invariant => "broken invariant",
        }
    }
}

/// Judges answers against the document's schemas; compiled schemas are kept.
pub struct Judge {
    doc: Arc<Value>,
    leak: Option<regex::Regex>,
    compiled: Mutex<HashMap<String, Option<Arc<jsonschema::Validator>>>>,
}

/// One answer, as the judge sees it.
pub struct Answer<'a> {
    /// Its status.
    pub status: u16,
    /// Its Content-Type, if any.
    pub content_type: Option<&'a str>,
    /// Its body.
    pub body: &'a [u8],
}

impl Judge {
    /// A judge for answers described by `doc`. The leak pattern is the one the document's error
    /// messages must not match (`error_message`'s `not.pattern`), applied to every error's text.
    pub fn new(doc: Arc<Value>) -> Judge {
        let leak = find_leak_pattern(&doc).and_then(|p| regex::Regex::new(&p).ok());
        Judge {
            doc,
            leak,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// The pattern no error may match, when the document has one.
    pub fn leak_pattern(&self) -> Option<&str> {
        self.leak.as_ref().map(regex::Regex::as_str)
    }

    /// The first thing wrong with `answer` to `case`, with what was seen.
    pub fn judge(
        &self,
        op: &Operation,
        case: &Case,
        answer: &Answer<'_>,
        missing: Option<&(u16, Value)>,
    ) -> Option<(Check, String)> {
        let status = answer.status;
        let allowed = op.answers.contains_key(&status);
        if status == 429 {
            // A rate limit says nothing about the request.
            return None;
        }
        // A 502 or 503 the route documents is the provider's or the database's outage; a request
        // the backend must refuse on its own (invalid data, an id nobody has) never gets one.
        let own_refusal = matches!(case.want, Want::Refusal | Want::Missing);
        if status >= 500 && !(allowed && matches!(status, 502 | 503) && !own_refusal) {
            return Some((Check::ServerError, format!("answered {status}")));
        }
        let text = String::from_utf8_lossy(answer.body);
        if status >= 400
            && let Some(found) = self.leak.as_ref().and_then(|re| re.find(&text))
        {
            return Some((Check::Leak, format!("{status} shows {:?}", found.as_str())));
        }
        let success = (200..300).contains(&status);
        let json_type = answer
            .content_type
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
        let parsed: Option<Value> = serde_json::from_slice(answer.body).ok();
        if let Want::Exactly(wanted) = case.want {
            if status != wanted {
                return Some((
                    Check::Convention,
                    format!("answered {status}, not {wanted}"),
                ));
            }
            if parsed.is_none() || !json_type {
                return Some(not_json(answer, &text));
            }
            return None;
        }
        match case.want {
            Want::Unauthorized if status != 401 => {
                return Some((
                    Check::AuthNotEnforced,
                    format!("answered {status}, not 401"),
                ));
            }
            Want::Forbidden if status != 403 => {
                return Some((
                    Check::AuthNotEnforced,
                    format!("answered {status}, not 403"),
                ));
            }
            Want::LikeMissing => {
                if let Some((missing_status, missing_body)) = missing {
                    let body: Value = serde_json::from_slice(answer.body).unwrap_or(Value::Null);
                    if status != *missing_status || body != *missing_body {
                        return Some((
                            Check::OthersResource,
                            format!(
                                "answered {status} {}; a missing order gets {missing_status} {missing_body}",
                                excerpt(&text)
                            ),
                        ));
                    }
                }
            }
            Want::Missing if success => {
                return Some((
                    Check::NegativeAccepted,
                    format!("answered {status} for an id that does not exist"),
                ));
            }
            // 401/403: an administrator's route sent with a customer's token, when the target
            // names no administrator.
            Want::Missing if !matches!(status, 404 | 401 | 403) && status < 500 => {
                return Some((
                    Check::Convention,
                    format!("answered {status} for an id that does not exist, not 404"),
                ));
            }
            Want::Refusal if success => {
                return Some((Check::NegativeAccepted, format!("answered {status}")));
            }
            Want::Success if (400..500).contains(&status) => {
                return Some((
                    Check::PositiveRefused,
                    format!("answered {status} {}", excerpt(&text)),
                ));
            }
            _ => {}
        }
        if !allowed {
            let documented: Vec<String> = op.answers.keys().map(u16::to_string).collect();
            return Some((
                Check::UndocumentedStatus,
                format!("answered {status}; documented: {}", documented.join(", ")),
            ));
        }
        let Some(body) = parsed.filter(|_| json_type) else {
            return Some(not_json(answer, &text));
        };
        if let Some(Some(schema)) = op.answers.get(&status)
            && let Some(validator) = self.validator(schema)
            && let Some(error) = validator.iter_errors(&body).next()
        {
            let at = error.instance_path().to_string();
            let at = if at.is_empty() { "the body".into() } else { at };
            return Some((Check::ResponseSchema, format!("{status}: {at}: {error}")));
        }
        None
    }

    fn validator(&self, schema: &Value) -> Option<Arc<jsonschema::Validator>> {
        let key = schema.to_string();
        let mut compiled = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        compiled
            .entry(key)
            .or_insert_with(|| {
                let mut root = (*self.doc).clone();
                if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
                    for (k, v) in schema {
                        root.insert(k.clone(), v.clone());
                    }
                }
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&root)
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }
}

/// An answer that is not JSON served as JSON.
fn not_json(answer: &Answer<'_>, text: &str) -> (Check, String) {
    (
        Check::ContentType,
        format!(
            "{} served as {}: {}",
            answer.status,
            answer.content_type.unwrap_or("no Content-Type"),
            excerpt(text)
        ),
    )
}

/// The `not.pattern` of the document's `error_message` definition, wherever it is.
fn find_leak_pattern(doc: &Value) -> Option<String> {
    let schemas = doc.pointer("/components/schemas")?.as_object()?;
    schemas.values().find_map(|s| {
        s.pointer("/$defs/error_message/not/pattern")
            .and_then(Value::as_str)
            .map(String::from)
    })
}

/// The start of a body, on one line.
pub fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(160).collect();
    if cut.len() < one_line.len() {
        cut.push('…');
    }
    cut
}
