//! Which requests the agent answers at all, before any token is looked at: those whose Host
//! names this agent (against DNS rebinding) and, from browsers, those whose Origin is the
//! agent's own or one config.json allows (against other sites' pages).
//!
//! **Architecture invariant:** a page the user happens to visit cannot act on the agent, with
//! or without auth. `/rpc` also takes only POST with `content-type: application/json`
//! ([`crate::rpc::codec`]), which an HTML form, an `<img>` or a `no-cors` fetch cannot send.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Agent;
use crate::error::ApiError;

/// Middleware for every route: the Host must name this agent.
pub async fn require_known_host(
    State(agent): State<Arc<Agent>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    match host {
        // A client without a Host (HTTP/1.0, a raw socket) is not a browser: rebinding needs one.
        None => next.run(request).await,
        Some(host) => match agent.hosts.check(host, &agent.allowed_hosts()) {
            Ok(()) => next.run(request).await,
            Err(error) => error.into_response(),
        },
    }
}

/// Middleware for `/rpc`, `/terminal` and `/sessions`: a browser's request must come from the
/// agent's own pages or an origin in `allowedOrigins`.
pub async fn require_allowed_origin(
    State(agent): State<Arc<Agent>>,
    request: Request,
    next: Next,
) -> Response {
    match check_origin(request.headers(), &agent.allowed_origins()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Browsers send `Origin` with every POST and WebSocket request, and `Sec-Fetch-Site` with
/// every request. Same-origin pages (the Origin's host:port is the Host) and configured origins
/// pass; a request another site made is refused. Clients that send neither (the CLI, curl) are
/// not browsers and pass.
pub fn check_origin(headers: &HeaderMap, allowed_origins: &[String]) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("none");
        return match fetch_site {
            "cross-site" | "same-site" => Err(ApiError::Forbidden(
                "Requests from other sites may not use this agent; add the site's origin to allowedOrigins in config.json to allow it".to_owned(),
            )),
            _ => Ok(()),
        };
    };
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or_default();
    let same_origin = origin
        .split_once("://")
        .is_some_and(|(_, authority)| !host.is_empty() && authority.eq_ignore_ascii_case(host));
    if same_origin
        || allowed_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "Origin {origin:?} may not use this agent; add it to allowedOrigins in config.json to allow it"
    )))
}

/// The names this agent answers to. A browser sends a Host that is not one of them only when a
/// name it resolved points at this machine without being this machine's name: that is DNS
/// rebinding, and such a page would otherwise be same-origin with the agent.
///
/// Any IP address passes: a browser sends an address as Host only when it connected to that
/// address, so the page's origin is that address itself (the agent, or a NAT or proxy that
/// forwards it to the agent), never a name an attacker controls. Checking addresses against the
/// machine's interfaces would refuse exactly those forwarded addresses, and a bridge made after
/// start (the workspaces' network, whose gateway is how workspaces reach the agent).
#[derive(Debug)]
pub struct KnownHosts {
    /// The host name of this machine and the `--host` the agent listens on, in lower case.
    names: Vec<String>,
}

impl KnownHosts {
    /// The hosts of an agent that listens on `listen_host`.
    pub fn new(listen_host: &str) -> KnownHosts {
        let mut names = vec![crate::host_name().to_ascii_lowercase()];
        if listen_host.parse::<IpAddr>().is_err() && !listen_host.is_empty() {
            names.push(listen_host.to_ascii_lowercase());
        }
        KnownHosts { names }
    }

    /// These hosts, answering to `names` as well (the DNS names of the agent's certificate).
    /// Wildcard names are left out: they name other machines too.
    pub fn also_named<'a>(mut self, names: impl IntoIterator<Item = &'a String>) -> KnownHosts {
        for name in names {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !name.starts_with("*.") && !self.names.contains(&name) {
                self.names.push(name);
            }
        }
        self
    }

    /// Whether `host` (a Host header: a name or address, with or without a port) names this
    /// agent; `allowed` is config.json's `allowedHosts`.
    pub fn check(&self, host: &str, allowed: &[String]) -> Result<(), ApiError> {
        let name = host_without_port(host).to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        let known = name.parse::<IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self.names.iter().any(|known| known == name);
        if known
            || allowed
                .iter()
                .any(|allowed| allowed.trim_end_matches('.').eq_ignore_ascii_case(name))
        {
            return Ok(());
        }
        Err(ApiError::Forbidden(format!(
            "This agent does not answer to the host name {name:?}; if that is its name, add it to allowedHosts in config.json"
        )))
    }
}

/// `host` without its `:port`; an IPv6 address loses its brackets.
fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_names_of_the_agents_certificate_are_known_but_not_its_wildcards() {
        let names = [
            "Box.Tail1234.ts.net.".to_owned(),
            "*.tail1234.ts.net".to_owned(),
        ];
        let hosts = KnownHosts::new("0.0.0.0").also_named(&names);
        assert!(hosts.check("box.tail1234.ts.net:7391", &[]).is_ok());
        assert!(hosts.check("other.tail1234.ts.net:7391", &[]).is_err());
    }

    #[test]
    fn addresses_localhost_own_names_and_allowed_hosts_are_known() {
        let hosts = KnownHosts::new("0.0.0.0");
        let allowed = vec!["box.tailnet.ts.net".to_owned()];
        let own_name = format!("{}:7391", crate::host_name().to_uppercase());
        for host in [
            "127.0.0.1:7391",
            "127.0.0.2",
            "192.0.2.1:7391",
            "[fe80::1]:7391",
            "[::1]:7391",
            "localhost:7391",
            "app.localhost",
            "LOCALHOST.",
            own_name.as_str(),
            "box.tailnet.ts.net:7391",
        ] {
            assert!(hosts.check(host, &allowed).is_ok(), "{host}");
        }
    }

    #[test]
    fn other_names_are_refused_with_the_config_key() {
        let hosts = KnownHosts::new("0.0.0.0");
        for host in [
            "attacker.example:7391",
            "localhost.attacker.example",
            "127.0.0.1.attacker.example",
        ] {
            let error = hosts.check(host, &[]).unwrap_err();
            assert!(matches!(error, ApiError::Forbidden(_)), "{host}");
            assert!(error.to_string().contains("allowedHosts"), "{error}");
        }
    }

    #[test]
    fn ports_and_brackets_come_off() {
        assert_eq!(host_without_port("a.b:80"), "a.b");
        assert_eq!(host_without_port("[fe80::1]:80"), "fe80::1");
        assert_eq!(host_without_port("[::1]"), "::1");
        assert_eq!(host_without_port("a.b"), "a.b");
    }

    #[test]
    fn same_origin_and_allowed_origins_pass_other_sites_do_not() {
        let allowed = vec!["http://localhost:8081".to_owned()];
        let pass = [
            headers(&[]),
            headers(&[
                ("origin", "http://127.0.0.1:7391"),
                ("host", "127.0.0.1:7391"),
            ]),
            headers(&[
                ("origin", "http://localhost:8081"),
                ("sec-fetch-site", "same-site"),
            ]),
            headers(&[("sec-fetch-site", "same-origin")]),
            headers(&[("sec-fetch-site", "none")]),
        ];
        for headers in pass {
            assert!(check_origin(&headers, &allowed).is_ok(), "{headers:?}");
        }
        let refuse = [
            headers(&[
                ("origin", "http://127.0.0.1:9999"),
                ("host", "127.0.0.1:7391"),
            ]),
            headers(&[("origin", "null"), ("host", "127.0.0.1:7391")]),
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
        ];
        for headers in refuse {
            let error = check_origin(&headers, &allowed).unwrap_err();
            assert!(error.to_string().contains("allowedOrigins"), "{error}");
        }
    }
}
