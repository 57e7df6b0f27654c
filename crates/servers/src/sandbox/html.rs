//! The HTML pages a Flask backend answers with, byte for byte as Werkzeug writes them, for the
//! two behaviours that show them: the 308 "Redirecting..." page of the `trailing-slash`
//! variation ([`super::variations`]: legitimate, a client follows it), and the 404/405/400 error
//! pages of the `html-error-pages` defect ([`super::defects`]: a contract violation, errors must
//! be JSON). Nothing else in the sandbox answers HTML.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// `text/html; charset=utf-8`, as Werkzeug sends it.
const HTML: &str = "text/html; charset=utf-8";

/// What Werkzeug's `HTTPException` says for the statuses the defect answers with.
fn description(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => {
            "The requested URL was not found on the server. If you entered the URL manually please \
             check your spelling and try again."
        }
        405 => "The method is not allowed for the requested URL.",
        400 => "The browser (or proxy) sent a request that this server could not understand.",
        _ => "The server encountered an internal error and was unable to complete your request.",
    }
}

/// HTML-escapes text the way Python's `html.escape` does (quotes included).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Werkzeug's error page body (`HTTPException.get_body`).
pub fn error_body(status: StatusCode) -> String {
    let name = status.canonical_reason().unwrap_or("Error");
    format!(
        "<!doctype html>\n<html lang=en>\n<title>{code} {name}</title>\n<h1>{name}</h1>\n<p>{text}</p>\n",
        code = status.as_u16(),
        name = escape(name),
        text = escape(description(status)),
    )
}

/// An HTML error page with `status`.
pub fn error_page(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HTML)],
        Body::from(error_body(status)),
    )
        .into_response()
}

/// Werkzeug's redirect page body (`werkzeug.utils.redirect`).
pub fn redirect_body(location: &str) -> String {
    let shown = escape(location);
    format!(
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n\
         <p>You should be redirected automatically to the target URL: <a href=\"{shown}\">{shown}</a>. \
         If not, click the link.\n"
    )
}

/// Where a request for `uri` is sent to have its trailing slash: the path with a `/` added, the
/// query string kept as it came.
pub fn with_slash(uri: &Uri) -> String {
    let path = uri.path();
    match uri.query() {
        Some(query) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    }
}

/// Any request for a collection without its trailing slash: 308 to the same path with it, as
/// Flask's strict-slashes routing answers (308 keeps the method and the body).
pub async fn redirect_to_slash(uri: Uri) -> Response {
    let location = with_slash(&uri);
    // The URI came in as a valid request target, so it is a valid header value; if it somehow
    // is not, the path alone still gets the client to the collection.
    let value = HeaderValue::from_str(&location)
        .or_else(|_| HeaderValue::from_str(&format!("{}/", uri.path())))
        .unwrap_or_else(|_| HeaderValue::from_static("/"));
    (
        StatusCode::PERMANENT_REDIRECT,
        [
            (header::LOCATION, value),
            (header::CONTENT_TYPE, HeaderValue::from_static(HTML)),
        ],
        Body::from(redirect_body(&location)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_are_werkzeugs() {
        let body = error_body(StatusCode::NOT_FOUND);
        assert!(body.starts_with("<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found"), "{body}");
        assert!(
            error_body(StatusCode::METHOD_NOT_ALLOWED)
                .contains("<title>405 Method Not Allowed</title>")
        );
        assert!(error_body(StatusCode::BAD_REQUEST).contains("<title>400 Bad Request</title>"));
    }

    #[test]
    fn redirects_keep_the_query_and_escape_it_in_the_page() {
        let uri: Uri = "/api/orders?status=pending&page=2".parse().unwrap();
        assert_eq!(with_slash(&uri), "/api/orders/?status=pending&page=2");
        let body = redirect_body(&with_slash(&uri));
        assert!(body.contains(
            "<a href=\"/api/orders/?status=pending&amp;page=2\">/api/orders/?status=pending&amp;page=2</a>"
        ), "{body}");
        assert!(body.contains("<title>Redirecting...</title>"));
        assert_eq!(with_slash(&"/api/orders".parse().unwrap()), "/api/orders/");
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
