//! The web UI: the React app of `web/`, built into `web/dist` and embedded in the binary, served
//! at `/` as a single-page app.
//!
//! - Hashed files under `assets/` are cached for a year (their names change with their content);
//!   everything else, index.html above all, is revalidated on every load (ETag → 304), so a new
//!   agent's UI is picked up at once.
//! - A path that is not a file and does not look like one gets index.html (the app routes it);
//!   a missing asset is a plain 404, never HTML where a script was expected.
//! - `PERRY_WEB_DIR=<dir>` serves the UI from a directory at runtime instead, for working on it
//!   without rebuilding the agent.
//!
//! Static files need no token: the login page is one of them, and they hold no secrets.

use std::borrow::Cow;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

#[derive(rust_embed::Embed)]
#[folder = "$PERRY_WEB_DIST"]
struct Embedded;

/// Paths under these prefixes belong to the API: never answered with the app.
const API_PREFIXES: &[&str] = &["rpc", "terminal", "sessions", "health"];

/// Browsers get these with every file: no framing (clickjacking), no MIME sniffing, no referrer
/// (the sign-in URL carries the token), and scripts, styles and connections from this origin only.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
];

/// Where the files come from.
#[derive(Debug, Clone, Default)]
pub enum WebFiles {
    /// Built into this binary.
    #[default]
    Embedded,
    /// Read from a directory on every request (`PERRY_WEB_DIR`).
    Directory(PathBuf),
}

impl WebFiles {
    /// `PERRY_WEB_DIR` when set, else the embedded files.
    pub fn from_env() -> WebFiles {
        match std::env::var_os("PERRY_WEB_DIR") {
            Some(dir) if !dir.is_empty() => WebFiles::Directory(PathBuf::from(dir)),
            _ => WebFiles::Embedded,
        }
    }

    /// A file's bytes and its ETag, if it exists.
    async fn get(&self, path: &str) -> Option<(Cow<'static, [u8]>, String)> {
        match self {
            WebFiles::Embedded => {
                let file = Embedded::get(path)?;
                let etag = hex::encode(file.metadata.sha256_hash());
                Some((file.data, etag))
            }
            WebFiles::Directory(dir) => {
                let bytes = tokio::fs::read(dir.join(path)).await.ok()?;
                let etag = hex::encode(Sha256::digest(&bytes));
                Some((Cow::Owned(bytes), etag))
            }
        }
    }
}

/// A request path as a relative file path, or `None` when it tries to leave the web root.
fn relative_path(uri: &Uri) -> Option<String> {
    let path = uri.path().trim_start_matches('/');
    let safe = path
        .split('/')
        .all(|segment| segment != ".." && segment != "." && !segment.contains('\\'));
    safe.then(|| path.to_owned())
}

/// Whether a path names a file (an extension in its last segment) rather than an app route.
fn looks_like_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// Serves the web UI for every path no other route took.
pub async fn serve(files: WebFiles, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "Use GET").into_response();
    }
    let Some(path) = relative_path(&uri) else {
        return (StatusCode::BAD_REQUEST, "Bad path").into_response();
    };
    let first_segment = path.split('/').next().unwrap_or_default();
    if API_PREFIXES.contains(&first_segment) {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let requested = if path.is_empty() {
        "index.html".to_owned()
    } else {
        path
    };
    let (name, found) = match files.get(&requested).await {
        Some(found) => (requested, found),
        None if looks_like_a_file(&requested) => {
            return (StatusCode::NOT_FOUND, "Not found").into_response();
        }
        None => match files.get("index.html").await {
            Some(found) => ("index.html".to_owned(), found),
            None => return (StatusCode::NOT_FOUND, "The web UI is missing").into_response(),
        },
    };
    let (bytes, etag) = found;
    let etag = format!("\"{etag}\"");
    let cache_control = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let content_type = content_type(&name);
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(bytes))
    };
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, etag);
    }
    response_headers.insert(header::CONTENT_TYPE, content_type);
    for (name, value) in SECURITY_HEADERS {
        response_headers.insert(*name, HeaderValue::from_static(value));
    }
    response
}

/// The content type of a file, by its extension; text in UTF-8, as the web build writes it.
fn content_type(name: &str) -> HeaderValue {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let essence = mime.essence_str();
    let is_text = mime.type_() == mime_guess::mime::TEXT || essence == "application/javascript";
    let value = if is_text {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_owned()
    };
    HeaderValue::try_from(value)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_root_are_refused() {
        for bad in ["/../etc/passwd", "/assets/../../x", "/a/./b", "/a\\..\\b"] {
            assert_eq!(relative_path(&bad.parse().unwrap()), None, "{bad}");
        }
        assert_eq!(
            relative_path(&"/assets/index-abc.js".parse().unwrap()).as_deref(),
            Some("assets/index-abc.js")
        );
    }

    #[test]
    fn content_types_come_from_the_extension_and_text_is_utf8() {
        for (name, expected) in [
            ("index.html", "text/html; charset=utf-8"),
            ("assets/index-abc.js", "text/javascript; charset=utf-8"),
            ("assets/worker.mjs", "application/javascript; charset=utf-8"),
            ("assets/index-abc.css", "text/css; charset=utf-8"),
            ("manifest.webmanifest", "application/manifest+json"),
            ("favicon.svg", "image/svg+xml"),
            ("assets/font.woff2", "font/woff2"),
            ("assets/module.wasm", "application/wasm"),
            ("no-extension", "application/octet-stream"),
        ] {
            assert_eq!(content_type(name), expected, "{name}");
        }
    }

    #[test]
    fn app_routes_are_not_files() {
        assert!(looks_like_a_file("assets/index-abc.js"));
        assert!(looks_like_a_file("favicon.ico"));
        assert!(!looks_like_a_file("workspaces/alpha"));
        assert!(!looks_like_a_file("login"));
    }
}
