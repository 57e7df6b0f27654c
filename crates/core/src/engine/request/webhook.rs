//! Builds a `webhook` step's request: a Stripe event around the given object, signed with the
//! webhook secret (or deliberately signed wrong), POSTed to the backend's webhook route.

use super::{BuildError, resolve_url};
use crate::engine::http::Outgoing;
use crate::engine::scope::Scope;
use crate::spec::template::{Lookup, RenderError};
use crate::spec::{SignatureMode, Webhook};
use serde_json::json;
use std::time::Duration;

/// What `signature: wrong_secret` signs with.
const WRONG_SECRET: &str = "whsec_gigcheck_not_the_backends_secret";

fn render_err(field: &'static str) -> impl Fn(RenderError) -> BuildError {
    move |error| BuildError::Render {
        field: field.to_string(),
        error,
    }
}

pub(super) fn build(
    hook: &Webhook,
    scope: &Scope,
    base: Option<&url::Url>,
    timeout: Duration,
) -> Result<Outgoing, BuildError> {
    let object = hook.object.render(scope).map_err(render_err("object"))?;
    let id = match &hook.id {
        Some(t) => t.render(scope).map_err(render_err("id"))?,
        None => format!("evt_{}", uuid::Uuid::new_v4().simple()),
    };
    let secret = match &hook.secret {
        Some(t) => t.render(scope).map_err(render_err("secret"))?,
        None => match scope.var("webhook_secret") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => {
                return Err(BuildError::Render {
                    field: "secret".into(),
                    error: RenderError::Undefined("webhook_secret".into()),
                });
            }
        },
    };
    scope.note_secret(&secret);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let event = json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": now,
        "type": hook.event_type,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "data": { "object": object },
    });
    let body = serde_json::to_vec(&event).unwrap_or_default();
    let signature = match hook.signature {
        SignatureMode::Valid | SignatureMode::Tampered => Some(
            gigcheck_base::webhook_signature::header(&secret, now, &body),
        ),
        SignatureMode::WrongSecret => Some(gigcheck_base::webhook_signature::header(
            WRONG_SECRET,
            now,
            &body,
        )),
        SignatureMode::Stale => Some(gigcheck_base::webhook_signature::header(
            &secret,
            now - 600,
            &body,
        )),
        SignatureMode::Missing => None,
    };
    let body = if hook.signature == SignatureMode::Tampered {
        // Same event, one field changed after signing: what an attacker replaying it would do.
        let mut changed = event.clone();
        changed["livemode"] = json!(true);
        serde_json::to_vec(&changed).unwrap_or_default()
    } else {
        body
    };
    let target = hook.url.render(scope).map_err(render_err("url"))?;
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    if let Some(signature) = signature {
        headers.push(("Stripe-Signature".to_string(), signature));
    }
    Ok(Outgoing {
        method: reqwest::Method::POST,
        url: resolve_url(&target, base)?,
        headers,
        body: Some(body),
        timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    fn scope() -> Scope {
        let mut scope = Scope::new(Redactor::default(), std::sync::Arc::new(|_| None));
        scope.set("webhook_secret", json!("whsec_abc123"));
        scope.set("pi", json!("pi_42"));
        scope
    }

    fn build_mode(mode: &str) -> Outgoing {
        let hook: Webhook = crate::yaml::from_str(&format!(
            "{{ type: payment_intent.succeeded, object: {{ id: '{{{{pi}}}}' }}, id: evt_1, signature: {mode} }}"
        ))
        .unwrap();
        let base = url::Url::parse("http://h:1").unwrap();
        build(&hook, &scope(), Some(&base), Duration::from_secs(1)).unwrap()
    }

    fn verify(
        out: &Outgoing,
        secret: &str,
    ) -> Result<(), gigcheck_base::webhook_signature::VerifyError> {
        let header = out
            .headers
            .iter()
            .find(|(k, _)| k == "Stripe-Signature")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        gigcheck_base::webhook_signature::verify(
            &header,
            out.body.as_deref().unwrap_or_default(),
            secret,
            now,
            300,
        )
    }

    #[test]
    fn signs_the_event_or_gets_it_wrong_on_purpose() {
        let valid = build_mode("valid");
        assert_eq!(valid.url.as_str(), "http://h:1/api/payment/webhook");
        let event: serde_json::Value =
            serde_json::from_slice(valid.body.as_deref().unwrap()).unwrap();
        assert_eq!(event["data"]["object"]["id"], "pi_42");
        assert_eq!(event["id"], "evt_1");
        assert!(verify(&valid, "whsec_abc123").is_ok());
        assert!(verify(&build_mode("wrong_secret"), "whsec_abc123").is_err());
        assert_eq!(
            verify(&build_mode("stale"), "whsec_abc123"),
            Err(gigcheck_base::webhook_signature::VerifyError::Stale)
        );
        assert!(verify(&build_mode("tampered"), "whsec_abc123").is_err());
        assert!(
            !build_mode("missing")
                .headers
                .iter()
                .any(|(k, _)| k == "Stripe-Signature")
        );
    }
}
