//! The web UI as a browser fetches it from a real agent: the app at `/` and at every app route,
//! hashed assets cached for good, index.html revalidated, compression, and API paths never
//! answered with HTML.

mod common;

use common::{TestAgent, TestAgentConfig};
use perry_agent::web::WebFiles;

const INDEX: &str = "<!doctype html><title>Perry test UI</title><script type=module src=/assets/app-1a2b3c.js></script>";

/// A built UI in a temp dir: index.html and one hashed script big enough to be compressed.
fn web_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    let script = "console.log('perry');\n".repeat(500);
    std::fs::write(dir.path().join("assets/app-1a2b3c.js"), script).unwrap();
    dir
}

async fn agent_serving(dir: &tempfile::TempDir) -> TestAgent {
    TestAgent::start_with(
        "web",
        TestAgentConfig {
            web: WebFiles::Directory(dir.path().to_path_buf()),
            ..TestAgentConfig::default()
        },
    )
    .await
}

async fn get(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_is_served_without_a_token_at_the_root_and_every_app_route() {
    let dir = web_dir();
    let agent = agent_serving(&dir).await;
    for path in ["/", "/workspaces/alpha", "/login", "/agent?tab=x"] {
        let response = get(&format!("{}{path}", agent.url), &[]).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert!(header(&response, "content-security-policy").contains("frame-ancestors 'none'"));
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        assert_eq!(response.text().await.unwrap(), INDEX, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hashed_assets_are_cached_for_good_compressed_and_revalidated_by_etag() {
    let dir = web_dir();
    let agent = agent_serving(&dir).await;
    let url = format!("{}/assets/app-1a2b3c.js", agent.url);

    let response = get(&url, &[("accept-encoding", "gzip")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&response, "content-encoding"), "gzip");
    let etag = header(&response, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let compressed = response.bytes().await.unwrap();
    assert!(compressed.len() < 2_000, "{} bytes", compressed.len());

    let revalidated = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(revalidated.status(), 304);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_files_and_api_paths_are_404_not_the_app() {
    let dir = web_dir();
    let agent = agent_serving(&dir).await;
    for path in [
        "/assets/gone-123.js",
        "/favicon.ico",
        "/rpc",
        "/terminal",
        "/sessions",
        "/rpc/",
    ] {
        let response = get(&format!("{}{path}", agent.url), &[]).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            !response.text().await.unwrap().contains("<!doctype html>"),
            "{path} answered with the app"
        );
    }
    let posted = reqwest::Client::new()
        .post(format!("{}/", agent.url))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 405);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_ui_is_served_by_default() {
    let agent = TestAgent::start("webembed").await;
    let response = get(&format!("{}/", agent.url), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("Perry"), "{body}");
}
