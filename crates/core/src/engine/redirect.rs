//! Redirects followed as a browser's `fetch` follows them, within the target's origin: 307 and
//! 308 keep the method and the body; 301 and 302 turn a POST into a GET, 303 turns anything but
//! HEAD into a GET, and those drop the body. A redirect to another origin is never followed (the
//! request carries credentials), nor are more than [`MAX_HOPS`] in a row: the 3xx answer is
//! then what the step checks.

use super::http::{Http, Incoming, Outgoing, SendError};
use crate::engine::http::CookieJar;
use reqwest::Method;

/// The most redirects followed for one request (browsers allow 20; a loop shows long before).
pub(crate) const MAX_HOPS: usize = 10;

/// One redirect that was followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    pub method: String,
    pub from: url::Url,
    pub status: u16,
    pub to: url::Url,
}

/// What sending a request and following its redirects gave.
pub(crate) struct Followed {
    /// The last answer (or why there was none).
    pub result: Result<Incoming, SendError>,
    /// The last request sent.
    pub request: Outgoing,
    /// The redirects followed, in order.
    pub(crate) hops: Vec<Hop>,
    /// Why a redirect answer was left unfollowed, when one was.
    pub stopped: Option<String>,
}

/// Sends `req`, following redirects when `follow` is set; `sending` is told of every request
/// just before it leaves (the first included).
pub(crate) async fn send(
    http: &Http,
    jar: &CookieJar,
    req: Outgoing,
    follow: bool,
    mut sending: impl FnMut(&Outgoing),
) -> Followed {
    let mut current = req;
    let mut hops = Vec::new();
    loop {
        sending(&current);
        let result = http.send(jar, &current).await;
        let next = match (&result, follow) {
            (Ok(incoming), true) => next_request(&current, incoming),
            _ => Next::Done,
        };
        match next {
            Next::Done => {
                return Followed {
                    result,
                    request: current,
                    hops,
                    stopped: None,
                };
            }
            Next::Stop(why) => {
                return Followed {
                    result,
                    request: current,
                    hops,
                    stopped: Some(why),
                };
            }
            Next::Go(next) if hops.len() == MAX_HOPS => {
                let why = format!(
                    "not followed to {}: already {MAX_HOPS} redirects in a row (a loop?)",
                    next.url
                );
                return Followed {
                    result,
                    request: current,
                    hops,
                    stopped: Some(why),
                };
            }
            Next::Go(next) => {
                let status = result.as_ref().map_or(0, |i| i.status);
                hops.push(Hop {
                    method: current.method.to_string(),
                    from: current.url.clone(),
                    status,
                    to: next.url.clone(),
                });
                current = next;
            }
        }
    }
}

enum Next {
    Done,
    Stop(String),
    Go(Outgoing),
}

/// The request a browser would send after `answer`, if it would send one.
fn next_request(sent: &Outgoing, answer: &Incoming) -> Next {
    let status = answer.status;
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Next::Done;
    }
    let Some(location) = answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.trim())
    else {
        return Next::Done;
    };
    let to = match sent.url.join(location) {
        Ok(url) => url,
        Err(e) => {
            return Next::Stop(format!(
                "not followed: Location `{location}` is not a URL ({e})"
            ));
        }
    };
    if to.origin() != sent.url.origin() {
        return Next::Stop(format!(
            "not followed to {}: another origin, and the request carries credentials",
            to.origin().ascii_serialization()
        ));
    }
    let to_get = match status {
        301 | 302 => sent.method == Method::POST,
        303 => sent.method != Method::HEAD,
        _ => false,
    };
    let mut next = sent.clone();
    next.url = to;
    if to_get {
        next.method = Method::GET;
        next.body = None;
        next.headers.retain(|(k, _)| {
            !(k.eq_ignore_ascii_case("content-type") || k.eq_ignore_ascii_case("content-length"))
        });
    }
    Next::Go(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outgoing(method: Method, url: &str) -> Outgoing {
        Outgoing {
            method,
            url: url::Url::parse(url).unwrap(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Authorization".into(), "Bearer x".into()),
            ],
            body: Some(b"{}".to_vec()),
            timeout: Duration::from_secs(1),
        }
    }

    fn answer(status: u16, location: &str) -> Incoming {
        Incoming {
            status,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn go(next: Next) -> Outgoing {
        match next {
            Next::Go(o) => o,
            Next::Done => panic!("done"),
            Next::Stop(why) => panic!("stopped: {why}"),
        }
    }

    #[test]
    fn temporary_and_permanent_redirects_keep_method_and_body() {
        let sent = outgoing(Method::POST, "http://h:1/api/orders");
        for status in [307, 308] {
            let next = go(next_request(&sent, &answer(status, "/api/orders/")));
            assert_eq!(next.method, Method::POST);
            assert_eq!(next.url.as_str(), "http://h:1/api/orders/");
            assert_eq!(next.body.as_deref(), Some(&b"{}"[..]));
            assert_eq!(next.headers.len(), 2, "Authorization and Content-Type kept");
        }
    }

    #[test]
    fn see_other_and_a_redirected_post_become_a_get_without_a_body() {
        let post = outgoing(Method::POST, "http://h:1/a");
        for status in [301, 302, 303] {
            let next = go(next_request(&post, &answer(status, "b")));
            assert_eq!(
                (next.method.clone(), next.body.clone()),
                (Method::GET, None)
            );
            assert_eq!(next.url.as_str(), "http://h:1/b");
            assert!(next.headers.iter().all(|(k, _)| k != "Content-Type"));
        }
        let put = outgoing(Method::PUT, "http://h:1/a");
        assert_eq!(
            go(next_request(&put, &answer(302, "/b"))).method,
            Method::PUT
        );
        assert_eq!(
            go(next_request(&put, &answer(303, "/b"))).method,
            Method::GET
        );
    }

    #[test]
    fn another_origin_is_never_followed() {
        let sent = outgoing(Method::GET, "http://h:1/a");
        match next_request(&sent, &answer(302, "http://evil:2/steal")) {
            Next::Stop(why) => assert!(why.contains("http://evil:2"), "{why}"),
            _ => panic!("followed to another origin"),
        }
        assert!(matches!(
            next_request(&sent, &answer(200, "/x")),
            Next::Done
        ));
        assert!(matches!(
            next_request(
                &sent,
                &Incoming {
                    headers: Vec::new(),
                    ..answer(302, "")
                }
            ),
            Next::Done
        ));
    }
}
