//! The meaning of each assertion operator over JSON values.

use super::found;
use crate::spec::assertion::{Assertion, JsonType};
use crate::spec::template::{Lookup, RenderError};
use serde_json::Value;

/// Why an assertion failed, in terms a person can compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What the assertion wanted, in words or as JSON (`length 3`, `one of [1,2]`).
    pub expected: String,
    /// What the response held, as JSON cut to 300 characters, or `nothing there`.
    pub actual: String,
    /// A further explanation (the actual type or length, where a forbidden match is); `None`
    /// when expected and actual say it all.
    pub message: Option<String>,
}

/// Checks `actual` (`None`: nothing there) against one assertion.
pub fn check(
    assertion: &Assertion,
    actual: Option<&Value>,
    lookup: &dyn Lookup,
) -> Result<(), Mismatch> {
    let render = |t: &crate::spec::json_template::JsonTemplate| {
        t.render(lookup).map_err(|e: RenderError| Mismatch {
            expected: "(could not be rendered)".into(),
            actual: show_opt(actual),
            message: Some(format!("cannot render the expected value: {e}")),
        })
    };
    let fail = |expected: String, message: Option<String>| Mismatch {
        expected,
        actual: show_opt(actual),
        message,
    };
    match assertion {
        Assertion::Exists(want) => {
            if actual.is_some() == *want {
                Ok(())
            } else if *want {
                Err(fail("a value".into(), None))
            } else {
                Err(fail("nothing there".into(), None))
            }
        }
        Assertion::Equals(t) => {
            let expected = render(t)?;
            match actual {
                Some(a) if json_eq(a, &expected) => Ok(()),
                _ => Err(fail(show(&expected), None)),
            }
        }
        Assertion::NotEquals(t) => {
            let expected = render(t)?;
            match actual {
                Some(a) if json_eq(a, &expected) => {
                    Err(fail(format!("anything but {}", show(&expected)), None))
                }
                _ => Ok(()),
            }
        }
        Assertion::OneOf(ts) => {
            let options: Vec<Value> = ts.iter().map(render).collect::<Result<_, _>>()?;
            match actual {
                Some(a) if options.iter().any(|o| json_eq(a, o)) => Ok(()),
                _ => Err(fail(
                    format!("one of {}", show(&Value::Array(options))),
                    None,
                )),
            }
        }
        Assertion::Type(ty) => match actual {
            Some(a) if ty.accepts(a) => Ok(()),
            Some(a) => Err(fail(
                format!("a value of type {}", ty.name()),
                Some(format!("it is of type {}", JsonType::of(a).name())),
            )),
            None => Err(fail(format!("a value of type {}", ty.name()), None)),
        },
        Assertion::Matches(pattern) => {
            let text = actual.map(as_text);
            match text {
                Some(t) if pattern.0.is_match(&t) => Ok(()),
                _ => Err(fail(format!("a match for /{}/", pattern.0.as_str()), None)),
            }
        }
        // What matched, where and which alternative; never the whole pattern, which says
        // little once it has grown a dozen alternatives.
        Assertion::NotMatches(pattern) => match actual.and_then(|a| found::describe(&pattern.0, a))
        {
            Some(found) => Err(Mismatch {
                expected: "no match".into(),
                actual: found.what,
                message: found.context.map(|c| format!("in: {c}")),
            }),
            None => Ok(()),
        },
        Assertion::Contains(t) | Assertion::NotContains(t) => {
            let wanted = render(t)?;
            let negate = matches!(assertion, Assertion::NotContains(_));
            let found = actual.is_some_and(|a| contains(a, &wanted));
            if found != negate {
                Ok(())
            } else {
                let what = if negate {
                    "not containing"
                } else {
                    "containing"
                };
                Err(fail(format!("a value {what} {}", show(&wanted)), None))
            }
        }
        Assertion::Length(n) => {
            let len = actual.and_then(length);
            if len == Some(*n) {
                Ok(())
            } else {
                Err(fail(
                    format!("length {n}"),
                    len.map(|l| format!("its length is {l}")),
                ))
            }
        }
        Assertion::Compare(cmp, t) => {
            let expected = render(t)?;
            let holds = match (actual, &expected) {
                (Some(a), b) if number(a).is_some() && number(b).is_some() => {
                    match (number(a), number(b)) {
                        (Some(a), Some(b)) => cmp.holds(a, b),
                        _ => false,
                    }
                }
                // Strings compare in order, which is right for RFC 3339 timestamps.
                (Some(Value::String(a)), Value::String(b)) => cmp.holds(order_of(a.cmp(b)), 0.0),
                _ => false,
            };
            if holds {
                Ok(())
            } else {
                Err(fail(format!("{} {}", cmp.symbol(), show(&expected)), None))
            }
        }
    }
}

/// The number a decimal string spells (`"399.99"`, `"-3"`), if it is one.
fn decimal(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    (plain(whole) && plain(fraction))
        .then(|| s.parse().ok())
        .flatten()
}

/// A JSON number, or a decimal string, as a number.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => decimal(s),
        _ => None,
    }
}

fn order_of(o: std::cmp::Ordering) -> f64 {
    match o {
        std::cmp::Ordering::Less => -1.0,
        std::cmp::Ordering::Equal => 0.0,
        std::cmp::Ordering::Greater => 1.0,
    }
}

/// JSON equality where `1` equals `1.0`, and a number equals the decimal string that spells it
/// (`399.99` and `"399.99"`): the contract lets money come either way. Types are the schema's
/// business.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            match (n.as_f64(), decimal(s)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::String(h), Value::String(n)) => h.contains(n.as_str()),
        (Value::Array(items), n) => items.iter().any(|i| json_eq(i, n)),
        (Value::Object(map), Value::String(key)) => map.contains_key(key),
        _ => false,
    }
}

fn length(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        Value::Object(o) => Some(o.len()),
        _ => None,
    }
}

/// A value as text for regex matching: strings as they are, anything else as JSON.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compact JSON, shortened for one line.
pub fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        let cut: String = s.chars().take(300).collect();
        format!("{cut}… ({} chars)", s.chars().count())
    } else {
        s
    }
}

fn show_opt(v: Option<&Value>) -> String {
    v.map_or_else(|| "nothing there".to_string(), show)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::assertion::ValueAssertion;
    use serde_json::json;

    use crate::spec::template::NoVars;

    fn run(yaml: &str, actual: Option<Value>) -> Result<(), Mismatch> {
        let a: ValueAssertion = crate::yaml::from_str(yaml).unwrap();
        a.0.iter()
            .try_for_each(|a| check(a, actual.as_ref(), &NoVars))
    }

    #[test]
    fn money_as_a_decimal_string_equals_and_compares_as_its_number() {
        assert!(run("399.99", Some(json!("399.99"))).is_ok());
        assert!(run("'399.99'", Some(json!(399.99))).is_ok());
        assert!(run("399.99", Some(json!("399.990"))).is_ok());
        assert!(run("399.99", Some(json!("399.98"))).is_err());
        assert!(run("7", Some(json!("7 units"))).is_err());
        assert!(run("7", Some(json!("0x7"))).is_err());
        assert!(run("{ gt: 100 }", Some(json!("399.99"))).is_ok());
        assert!(run("{ lte: '399.99' }", Some(json!(399.99))).is_ok());
        assert!(run("{ one_of: [1, 2] }", Some(json!("2"))).is_ok());
        assert_eq!(decimal("1e5"), None);
        assert_eq!(decimal("-2.50"), Some(-2.5));
    }

    #[test]
    fn equality_is_numeric_for_numbers() {
        assert!(run("399.99", Some(json!(399.99))).is_ok());
        assert!(run("1", Some(json!(1.0))).is_ok());
        let m = run("2", Some(json!(1))).unwrap_err();
        assert_eq!((m.expected.as_str(), m.actual.as_str()), ("2", "1"));
        assert!(run("{ not_equals: pending }", Some(json!("paid"))).is_ok());
    }

    #[test]
    fn existence() {
        assert!(run("{ exists: true }", Some(json!(null))).is_ok());
        assert!(run("{ absent: true }", None).is_ok());
        assert_eq!(
            run("{ exists: true }", None).unwrap_err().actual,
            "nothing there"
        );
        assert!(run("pending", None).is_err());
    }

    #[test]
    fn operators() {
        assert!(
            run(
                "{ type: array, length: 2, contains: 3 }",
                Some(json!([3, 4]))
            )
            .is_ok()
        );
        assert!(
            run(
                "{ contains: cancel }",
                Some(json!("Order cancelled successfully"))
            )
            .is_ok()
        );
        assert!(run("{ not_contains: SQL }", Some(json!("Order not found"))).is_ok());
        assert!(run("{ contains: id }", Some(json!({"id": 1}))).is_ok());
        assert!(run("{ matches: '^pi_' }", Some(json!("pi_123"))).is_ok());
        assert!(
            run(
                "{ not_matches: '(?i)select .* from' }",
                Some(json!("Order not found"))
            )
            .is_ok()
        );
        let m = run(
            "{ not_matches: '(?i)sqlite' }",
            Some(json!("SQLite error: no such table")),
        )
        .unwrap_err();
        assert_eq!(m.expected, "no match");
        assert_eq!(m.actual, "\"SQLite\"");
        assert_eq!(
            m.message.as_deref(),
            Some("in: SQLite error: no such table")
        );
        assert!(run("{ gt: 0, lte: 50 }", Some(json!(50))).is_ok());
        assert!(run("{ lt: 10 }", Some(json!(10))).is_err());
        assert!(
            run(
                "{ gt: '2020-01-01T00:00:00Z' }",
                Some(json!("2026-11-25T10:00:00Z"))
            )
            .is_ok()
        );
        assert!(run("{ one_of: [pending, paid] }", Some(json!("paid"))).is_ok());
        let m = run("{ type: integer }", Some(json!("7"))).unwrap_err();
        assert_eq!(m.message.as_deref(), Some("it is of type string"));
        let m = run("{ length: 3 }", Some(json!([1]))).unwrap_err();
        assert_eq!(m.message.as_deref(), Some("its length is 1"));
    }

    #[test]
    fn undefined_variable_in_expected_fails_the_check() {
        let m = run("'{{order_id}}'", Some(json!(1))).unwrap_err();
        assert!(m.message.unwrap().contains("`order_id` is not defined"));
    }
}
