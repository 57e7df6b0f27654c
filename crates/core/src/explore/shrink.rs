//! Making a finding's example smaller: its optional query parameters and its body's fields left
//! out, and its texts cut short, one at a time, each kept only when the request still breaks the
//! same check on the same route — so the example shows what matters and nothing else.

use super::cases::Body;
use super::found::{Cause, Prepared};
use super::send::{Shared, try_once};
use serde_json::Value;

/// At most this many requests go into shrinking one cause.
const TRIES: usize = 24;

/// `cause` with the smallest example found by taking its body apart.
pub(super) async fn shrink(shared: &Shared, mut cause: Cause) -> Cause {
    let Some(mut best) = cause.example.prepared.clone() else {
        return cause;
    };
    // The changed field is the point of the example: it stays as it is.
    let kept = match &best.case.body {
        Body::Mutated { mutation, .. } => mutation
            .pointer
            .split('/')
            .nth(1)
            .map(|k| k.replace("~1", "/").replace("~0", "~")),
        _ => None,
    };
    let mut tries = 0;
    let names: Vec<String> = best.case.query.iter().map(|(n, _)| n.clone()).collect();
    for name in names {
        if best.case.focus.as_ref() == Some(&name) || tries >= TRIES {
            continue;
        }
        let mut candidate = best.clone();
        candidate.case.query.retain(|(n, _)| *n != name);
        tries += 1;
        keep_if_same(shared, &mut cause, &mut best, candidate).await;
    }
    for step in [Step::LeaveOut, Step::Shorten] {
        let Body::Json { value, .. } = &best.body else {
            return cause;
        };
        let keys: Vec<String> = value
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        for key in keys {
            if Some(&key) == kept.as_ref() || tries >= TRIES {
                continue;
            }
            let Body::Json { value, fill } = &best.body else {
                break;
            };
            let mut smaller = value.clone();
            let Some(object) = smaller.as_object_mut() else {
                break;
            };
            match step {
                Step::LeaveOut => {
                    object.remove(&key);
                }
                Step::Shorten => match object.get_mut(&key) {
                    Some(Value::String(text)) if text.chars().count() > 1 => {
                        *text = text.chars().take(1).collect();
                    }
                    _ => continue,
                },
            }
            let mut candidate = best.clone();
            candidate.body = Body::Json {
                value: smaller,
                fill: *fill,
            };
            tries += 1;
            keep_if_same(shared, &mut cause, &mut best, candidate).await;
        }
    }
    cause
}

/// Sends `candidate`; when it breaks the same check on the same route, it is the new example.
async fn keep_if_same(
    shared: &Shared,
    cause: &mut Cause,
    best: &mut Prepared,
    candidate: Prepared,
) {
    if let (Some((check, finding, _)), _) = try_once(shared, &candidate).await
        && check == cause.check
        && candidate.route == cause.route
    {
        cause.example = finding;
        *best = candidate;
    }
}

#[derive(Clone, Copy)]
enum Step {
    LeaveOut,
    Shorten,
}
