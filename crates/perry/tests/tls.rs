//! HTTPS and WSS between the CLI and the agent: the agent serving TLS itself
//! (`perry agent run --tls-cert/--tls-key`, or `tls` in config.json), and the agent behind a
//! real nginx that terminates TLS. Certificates come from a CA the test makes; the CLI trusts
//! it through `perry config ca` or `SSL_CERT_FILE`, and refuses an agent it cannot verify.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{AgentProcess, PERRY, assert_success, free_port, text};

/// A CA, a server certificate it signed for `localhost` and 127.0.0.1, and a second CA that
/// signed nothing here: PEM files in a temp dir.
struct TestPki {
    dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    other_ca: PathBuf,
    /// A key of another certificate.
    other_key: PathBuf,
}

impl TestPki {
    fn new() -> TestPki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, pem: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        let new_ca = |name: &str| {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            let key = KeyPair::generate().unwrap();
            let certificate = params.self_signed(&key).unwrap();
            (certificate, Issuer::new(params, key))
        };
        let (ca, issuer) = new_ca("Perry test CA");
        let (other_ca, other_issuer) = new_ca("Some other CA");
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        let other_key = KeyPair::generate().unwrap();
        params.signed_by(&other_key, &other_issuer).unwrap();
        TestPki {
            ca: write("ca.pem", ca.pem()),
            cert: write("cert.pem", cert.pem()),
            key: write("key.pem", key.serialize_pem()),
            other_ca: write("other-ca.pem", other_ca.pem()),
            other_key: write("other-key.pem", other_key.serialize_pem()),
            dir,
        }
    }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `perry` as a person on another machine runs it: its own config dir (client.json), the agent
/// at `worker`, the agent's token, and the system's CA store unless `ssl_cert_file` says
/// otherwise.
fn perry_at(
    client_dir: &Path,
    worker: &str,
    token: &str,
    ssl_cert_file: Option<&Path>,
    args: &[&str],
) -> Output {
    let mut command = Command::new(PERRY);
    command
        .args(args)
        .env("PERRY_CONFIG_DIR", client_dir)
        .env("PERRY_WORKER", worker)
        .env("PERRY_TOKEN", token)
        .env("NO_COLOR", "1")
        .env_remove("SSL_CERT_DIR");
    match ssl_cert_file {
        Some(file) => command.env("SSL_CERT_FILE", file),
        None => command.env_remove("SSL_CERT_FILE"),
    };
    command.output().unwrap()
}

fn assert_refused_with(output: &Output, what: &str, needle: &str) {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{what} succeeded: {stderr}");
    assert!(stderr.contains(needle), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn an_agent_with_tls_cert_and_key_serves_the_cli_over_https_and_wss_once_it_trusts_the_ca() {
    let pki = TestPki::new();
    let agent = AgentProcess::start_with_args(
        "tls",
        &["--tls-cert", path(&pki.cert), "--tls-key", path(&pki.key)],
    );
    let banner = agent.stdout.join("\n");
    assert!(
        banner.contains(&format!("Open:   https://localhost:{}/?token=", agent.port)),
        "the sign-in URL is https, on a name of the certificate: {banner}"
    );
    let log = std::fs::read_to_string(agent.log.as_ref().unwrap()).unwrap();
    assert!(log.contains("TLS is on"), "{log}");

    let client = tempfile::tempdir().unwrap();
    let worker = format!("https://127.0.0.1:{}", agent.port);
    let token = agent.token();
    let perry = |args: &[&str]| perry_at(client.path(), &worker, &token, None, args);

    // Neither the system's store nor another CA vouches for this agent: refused, over HTTP
    // (list) and WebSocket (shell) alike, with the command that fixes it.
    assert_refused_with(
        &perry(&["list"]),
        "list without the CA",
        "perry config ca <file>",
    );
    assert_refused_with(
        &perry(&["shell", "demo", "--", "echo", "hi"]),
        "shell without the CA",
        "perry config ca <file>",
    );
    assert_success(&perry(&["config", "ca", path(&pki.other_ca)]), "config ca");
    assert_refused_with(
        &perry(&["list"]),
        "list with the wrong CA",
        "perry config ca <file>",
    );

    // Plain HTTP to the TLS port is told to use https.
    let plain = perry_at(
        client.path(),
        &format!("127.0.0.1:{}", agent.port),
        &token,
        None,
        &["list"],
    );
    assert_refused_with(&plain, "plain HTTP to the TLS port", "speaks HTTPS");

    // With the right CA in client.json everything works, the terminal's WebSocket included.
    assert_success(&perry(&["config", "ca", path(&pki.ca)]), "config ca");
    let client_file = std::fs::read_to_string(client.path().join("client.json")).unwrap();
    assert!(client_file.contains("ca.pem"), "{client_file}");
    let listed = assert_success(&perry(&["list"]), "perry list over https");
    assert!(listed.contains("No workspaces yet"), "{listed}");
    assert_success(&perry(&["start", "demo"]), "perry start demo over https");
    let listed = assert_success(&perry(&["list"]), "perry list over https");
    assert!(listed.contains("demo"), "{listed}");
    let shell = perry(&["shell", "demo", "--", "sh", "-c", "echo hi-$((6*7))"]);
    let output = assert_success(&shell, "perry shell over wss");
    assert!(output.contains("hi-42"), "{output}");

    // SSL_CERT_FILE alone (no client.json CA) is trusted too, as OpenSSL's tools do.
    assert_success(&perry(&["config", "ca", "--clear"]), "config ca --clear");
    assert_refused_with(
        &perry(&["list"]),
        "list after --clear",
        "perry config ca <file>",
    );
    let with_env = perry_at(client.path(), &worker, &token, Some(&pki.ca), &["list"]);
    assert_success(&with_env, "perry list trusting SSL_CERT_FILE");
}

#[test]
fn tls_from_config_json_serves_beside_stalled_handshakes_and_throttles_by_address() {
    let pki = TestPki::new();
    let mut agent = AgentProcess::start_logged("tlsconf");
    agent.sigterm();
    // Paths in config.json are relative to the config dir.
    std::fs::copy(&pki.cert, agent.dir.path().join("agent-cert.pem")).unwrap();
    std::fs::copy(&pki.key, agent.dir.path().join("agent-key.pem")).unwrap();
    let config_path = agent.dir.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["tls"] = serde_json::json!({"cert": "agent-cert.pem", "key": "agent-key.pem"});
    std::fs::write(&config_path, config.to_string()).unwrap();
    agent.spawn();
    let banner = agent.stdout.join("\n");
    assert!(banner.contains("https://localhost:"), "{banner}");

    // Two clients that connect and never finish a handshake: one sends nothing, one only the
    // first byte of a ClientHello.
    let address = format!("127.0.0.1:{}", agent.port);
    let mut silent = TcpStream::connect(&address).unwrap();
    let mut halfway = TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(&mut halfway, &[0x16]).unwrap();

    let client = tempfile::tempdir().unwrap();
    let listed = perry_at(
        client.path(),
        &format!("https://localhost:{}", agent.port),
        &agent.token(),
        Some(&pki.ca),
        &["list", "--json"],
    );
    assert_eq!(
        assert_success(&listed, "perry list over https").trim(),
        "[]"
    );

    // The stalled connections are still open: the list was answered beside their handshakes,
    // not after the agent gave up on them.
    for (name, stream) in [("silent", &mut silent), ("halfway", &mut halfway)] {
        stream.set_nonblocking(true).unwrap();
        let read = stream.read(&mut [0u8; 16]);
        assert!(
            matches!(&read, Err(error) if error.kind() == std::io::ErrorKind::WouldBlock),
            "the {name} connection was closed before the list was answered: {read:?}"
        );
    }

    // The local CLI on the agent's machine takes the plain local socket, whatever the port speaks.
    let local = agent.perry_local(&["list", "--json"]);
    assert_eq!(assert_success(&local, "perry list (local)").trim(), "[]");

    // Wrong tokens over TLS count against the client's address as over plain HTTP (the peer
    // address reaches the throttle through the TLS listener): then even the right one is refused.
    let https = format!("https://localhost:{}", agent.port);
    for _ in 0..20 {
        let wrong = perry_at(client.path(), &https, "wrong", Some(&pki.ca), &["list"]);
        assert_refused_with(&wrong, "a wrong token", "UNAUTHORIZED");
    }
    let locked = perry_at(
        client.path(),
        &https,
        &agent.token(),
        Some(&pki.ca),
        &["list"],
    );
    assert_refused_with(
        &locked,
        "the right token after 20 wrong ones",
        "TOO_MANY_REQUESTS",
    );
}

#[test]
fn a_missing_certificate_or_a_key_of_another_certificate_stops_the_agent_with_a_clear_error() {
    let pki = TestPki::new();
    let missing = pki.dir.path().join("missing.pem");
    let cases: [(&str, &Path, &Path, &str); 3] = [
        (
            "a missing certificate",
            &missing,
            &pki.key,
            "cannot read the TLS certificate",
        ),
        (
            "a key of another certificate",
            &pki.cert,
            &pki.other_key,
            "does not belong to the certificate",
        ),
        (
            "certificate and key swapped",
            &pki.key,
            &pki.cert,
            "holds no certificate",
        ),
    ];
    for (what, cert, key, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(PERRY)
            .args(["agent", "run", "--host", "127.0.0.1", "--port"])
            .arg(free_port().to_string())
            .args(["--tls-cert", path(cert), "--tls-key", path(key)])
            .env("PERRY_CONFIG_DIR", dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{what}");
        assert_refused_with(&output, what, message);
        assert!(
            text(&output.stdout).is_empty(),
            "{what}: no banner: {}",
            text(&output.stdout)
        );
    }
}

/// nginx from Debian's package (scripts/ensure-nginx.sh) as a child process with its own
/// config, prefix and port, terminating TLS in front of an agent that speaks plain HTTP.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(pki: &TestPki, agent_port: u16) -> Nginx {
        let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("nginx is missing: run scripts/ensure-nginx.sh (scripts/test.sh does)");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let prefix = dir.path().display();
        let config = format!(
            r#"daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://127.0.0.1:{agent_port};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"#,
            cert = pki.cert.display(),
            key = pki.key.display(),
        );
        let config_path = dir.path().join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut nginx = Nginx {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(nginx._dir.path().join("error.log"));
                panic!("nginx exited ({status}): {log:?}");
            }
            assert!(Instant::now() < deadline, "nginx does not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn behind_nginx_terminating_tls_the_cli_lists_and_opens_a_shell() {
    let pki = TestPki::new();
    let agent = AgentProcess::start("nginx");
    let nginx = Nginx::start(&pki, agent.port);
    let client = tempfile::tempdir().unwrap();
    let worker = format!("https://localhost:{}", nginx.port);
    let token = agent.token();
    let perry = |args: &[&str]| perry_at(client.path(), &worker, &token, None, args);

    assert_refused_with(
        &perry(&["list"]),
        "list without the CA",
        "perry config ca <file>",
    );
    assert_success(&perry(&["config", "ca", path(&pki.ca)]), "config ca");
    assert_success(&perry(&["start", "proxied"]), "perry start through nginx");
    let listed = assert_success(&perry(&["list"]), "perry list through nginx");
    assert!(listed.contains("proxied"), "{listed}");
    let shell = perry(&["shell", "proxied", "--", "sh", "-c", "echo via-$((40+2))"]);
    let output = assert_success(&shell, "perry shell through nginx (wss)");
    assert!(output.contains("via-42"), "{output}");
}
