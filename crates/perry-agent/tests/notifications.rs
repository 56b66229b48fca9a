//! Notification channels end to end: a coding agent's hook in a real workspace reaches real
//! HTTP endpoints (served by this test on the host): a signed JSON webhook, an ntfy server, an
//! endpoint that fails twice before answering, and one that refuses; every delivery is
//! recorded on its channel, secrets never come back, and bad input is a 4xx that saves nothing.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{TestAgent, claude_hook};
use hmac::{Hmac, Mac};
use perry_api::Workspace;
use perry_api::notifications::NotificationChannel;
use perry_api::procedures::{
    NotificationsAdd, NotificationsList, NotificationsRemove, NotificationsTest, WorkspacesCreate,
};
use serde_json::{Value, json};

/// What the endpoints received: path, headers, body.
type Received = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

/// Serves `/hook` (200), `/flaky` (500 twice, then 200), `/gone` (404) and `/` (an ntfy
/// server's root, 200) on a free port of the host.
async fn endpoints() -> (String, Received) {
    let received: Received = Arc::default();
    let flaky_calls = Arc::new(Mutex::new(0u32));
    let keep = |path: &'static str, received: Received, status: StatusCode| {
        post(move |headers: HeaderMap, body: Bytes| async move {
            received
                .lock()
                .unwrap()
                .push((path.to_owned(), headers, body));
            status
        })
    };
    let flaky = {
        let received = received.clone();
        post(move |headers: HeaderMap, body: Bytes| async move {
            received
                .lock()
                .unwrap()
                .push(("/flaky".to_owned(), headers, body));
            let mut calls = flaky_calls.lock().unwrap();
            *calls += 1;
            if *calls <= 2 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        })
    };
    let app = axum::Router::new()
        .route("/hook", keep("/hook", received.clone(), StatusCode::OK))
        .route(
            "/gone",
            keep("/gone", received.clone(), StatusCode::NOT_FOUND),
        )
        .route("/", keep("/", received.clone(), StatusCode::OK))
        .route("/flaky", flaky);
    // On all addresses: the agent reaches it from the host, as a person's ntfy on their LAN.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), received)
}

fn bodies(received: &Received, path: &str) -> Vec<(HeaderMap, Value)> {
    received
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _, _)| at == path)
        .map(|(_, headers, body)| (headers.clone(), serde_json::from_slice(body).unwrap()))
        .collect()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn channel(agent: &TestAgent, name: &str) -> NotificationChannel {
    let all: Vec<NotificationChannel> = agent.ok::<NotificationsList>(json!(null)).await;
    all.into_iter()
        .find(|channel| channel.name == name)
        .unwrap_or_else(|| panic!("no channel {name}"))
}

const SESSION: &str = "5b8e2f1a-3c4d-4e5f-9a6b-7c8d9e0f1a2b";

/// The session's transcript, and Claude Code's hook saying `payload` of it.
async fn hook(container: &str, payload: Value) {
    claude_hook(container, SESSION, "Ship the release", payload).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn channels_are_checked_saved_delivered_signed_retried_and_recorded() {
    let agent = TestAgent::start("notify").await;
    let (base, received) = endpoints().await;

    // Bad input: a 400 naming the field, or a 404/409, and nothing saved.
    for (input, status, field) in [
        (
            json!({"name": "Bad Name", "kind": "webhook", "url": format!("{base}/hook")}),
            400,
            Some("name"),
        ),
        (
            json!({"name": "ftp", "kind": "webhook", "url": "ftp://example.com/x"}),
            400,
            Some("url"),
        ),
        (
            json!({"name": "topicless", "kind": "ntfy", "url": base}),
            400,
            Some("url"),
        ),
        (
            json!({"name": "busy", "kind": "webhook", "url": format!("{base}/hook"), "states": ["working"]}),
            400,
            Some("states"),
        ),
        (
            json!({"name": "none", "kind": "webhook", "url": format!("{base}/hook"), "states": []}),
            400,
            Some("states"),
        ),
        (
            json!({"name": "pager", "kind": "pager", "url": format!("{base}/hook")}),
            400,
            None,
        ),
    ] {
        let (got, body) = agent.call("notifications/add", input.clone()).await;
        assert_eq!(got, status, "{input}: {body}");
        if let Some(field) = field {
            assert_eq!(
                body["data"]["issues"][0]["path"],
                json!([field]),
                "{input}: {body}"
            );
        }
    }
    let (got, body) = agent
        .call("notifications/remove", json!({"name": "nothing"}))
        .await;
    assert_eq!(got, 404, "{body}");
    let none: Vec<NotificationChannel> = agent.ok::<NotificationsList>(json!(null)).await;
    assert!(none.is_empty(), "{none:?}");

    let hooked: NotificationChannel = agent
        .ok::<NotificationsAdd>(json!({"name": "hook", "kind": "webhook",
            "url": format!("{base}/hook"), "secret": "s3cret"}))
        .await;
    assert!(hooked.has_secret);
    assert_eq!(
        hooked.states,
        [
            perry_api::sessions::SessionState::Error,
            perry_api::sessions::SessionState::NeedsInput
        ]
    );
    let _: NotificationChannel = agent
        .ok::<NotificationsAdd>(json!({"name": "phone", "kind": "ntfy",
            "url": format!("{base}/perry-alerts"), "states": ["needs_input", "idle"]}))
        .await;
    let _: NotificationChannel = agent
        .ok::<NotificationsAdd>(json!({"name": "flaky", "kind": "webhook",
            "url": format!("{base}/flaky"), "states": ["idle"]}))
        .await;
    let _: NotificationChannel = agent
        .ok::<NotificationsAdd>(json!({"name": "gone", "kind": "webhook",
            "url": format!("{base}/gone")}))
        .await;
    // An endpoint that takes the connection and never answers, first in the channels' order:
    // the others hear of every change all the same, at once.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let _: NotificationChannel = agent
        .ok::<NotificationsAdd>(json!({"name": "blackhole", "kind": "webhook",
            "url": format!("http://{}/", black_hole.local_addr().unwrap())}))
        .await;
    let (got, body) = agent
        .call(
            "notifications/add",
            json!({"name": "hook", "kind": "ntfy", "url": format!("{base}/x")}),
        )
        .await;
    assert_eq!(got, 409, "{body}");
    // The secret never comes back: not in the list, not in config.get.
    for path in ["notifications/list", "config/get"] {
        let (_, body) = agent.call(path, json!(null)).await;
        assert!(!body.to_string().contains("s3cret"), "{path}: {body}");
    }

    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "ship"})).await;
    let container = agent.container("ship");

    // A permission asked: the signed webhook and ntfy hear of it; `flaky` (idle only) does not.
    let asked_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    hook(
        &container,
        json!({"hook_event_name": "PermissionRequest", "tool_name": "Bash",
               "tool_input": {"command": "git push --tags"}}),
    )
    .await;
    wait_for("the webhook", || !bodies(&received, "/hook").is_empty()).await;
    // Delivered while the black hole's delivery is still waiting for an answer.
    assert_eq!(
        channel(&agent, "blackhole").await.delivery.deliveries,
        0,
        "the webhook waited for the black hole"
    );
    let (headers, body) = bodies(&received, "/hook").remove(0);
    assert_eq!(body["type"], "session.status");
    assert_eq!(body["workspace"], "ship");
    assert_eq!(body["state"], "needs_input");
    assert_eq!(body["title"], "Ship the release needs you");
    assert_eq!(body["body"], "Claude Code in ship: Bash: git push --tags");
    assert_eq!(body["session"]["sessionId"], SESSION);
    // The signature, checked as a receiver would: HMAC-SHA256 of "<t>.<body>" with the secret.
    let signature = headers["x-perry-signature"].to_str().unwrap();
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("{signature}"));
    let t: u64 = t.parse().unwrap();
    assert!(t.abs_diff(asked_at) < 30, "{t} vs {asked_at}");
    let raw = received
        .lock()
        .unwrap()
        .iter()
        .find(|(path, _, _)| path == "/hook")
        .unwrap()
        .2
        .clone();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&raw);
    mac.verify_slice(&hex::decode(v1).unwrap())
        .expect("the signature matches the body");

    wait_for("ntfy", || !bodies(&received, "/").is_empty()).await;
    let (_, published) = bodies(&received, "/").remove(0);
    assert_eq!(published["topic"], "perry-alerts");
    assert_eq!(published["title"], "Ship the release needs you");
    assert_eq!(published["tags"], json!(["bell"]));

    // The endpoint that refuses is not asked again (a 404 would stay a 404); it is recorded.
    wait_for("the refusal recorded", || {
        !bodies(&received, "/gone").is_empty()
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let gone = loop {
        let gone = channel(&agent, "gone").await;
        if gone.delivery.failures == 1 || Instant::now() > deadline {
            break gone;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(gone.delivery.deliveries, 1, "{gone:?}");
    assert_eq!(gone.delivery.failures, 1, "{gone:?}");
    assert!(
        gone.delivery
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("404"),
        "{gone:?}"
    );
    assert_eq!(bodies(&received, "/gone").len(), 1);
    assert!(bodies(&received, "/flaky").is_empty());

    // Done: `flaky` fails twice and is retried until it answers.
    hook(
        &container,
        json!({"hook_event_name": "Stop", "stop_hook_active": false}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let flaky = loop {
        let flaky = channel(&agent, "flaky").await;
        if flaky.delivery.last_success.is_some() || Instant::now() > deadline {
            break flaky;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(bodies(&received, "/flaky").len(), 3, "two 500s, then 200");
    assert_eq!(
        (flaky.delivery.deliveries, flaky.delivery.failures),
        (1, 0),
        "{flaky:?}"
    );
    assert!(flaky.delivery.last_success.is_some(), "{flaky:?}");
    let hooked = channel(&agent, "hook").await;
    assert_eq!(
        hooked.delivery.deliveries, 1,
        "idle is not among its states"
    );

    // A test delivery on request, recorded like the others.
    let before = bodies(&received, "/hook").len();
    let tested: NotificationChannel = agent.ok::<NotificationsTest>(json!({"name": "hook"})).await;
    assert_eq!(tested.delivery.deliveries, 2, "{tested:?}");
    let (_, sample) = bodies(&received, "/hook").remove(before);
    assert_eq!(sample["title"], "A test from Perry needs you");

    // Removed, a channel hears nothing more, and its record goes with it.
    let left: Vec<NotificationChannel> = agent
        .ok::<NotificationsRemove>(json!({"name": "gone"}))
        .await;
    assert_eq!(
        left.iter()
            .map(|channel| channel.name.as_str())
            .collect::<Vec<_>>(),
        ["blackhole", "flaky", "hook", "phone"]
    );
    drop(black_hole);
}

/// RFC 8291: the plaintext of an `aes128gcm` push message for the browser holding `ua_secret`
/// and `auth`, computed step by step as the RFC says.
fn decrypt_push(body: &[u8], ua_secret: &p256::SecretKey, auth: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit};
    let salt = &body[..16];
    let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
    let id_length = body[20] as usize;
    let as_public = p256::PublicKey::from_sec1_bytes(&body[21..21 + id_length]).unwrap();
    let ciphertext = &body[21 + id_length..];
    assert!(ciphertext.len() <= record_size, "one record");
    let shared = p256::ecdh::diffie_hellman(ua_secret.to_nonzero_scalar(), as_public.as_affine());
    let ua_public = ua_secret.public_key();
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public.to_sec1_bytes().as_ref());
    key_info.extend_from_slice(as_public.to_sec1_bytes().as_ref());
    let mut ikm = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .unwrap();
    let prk = hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .unwrap();
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .unwrap();
    let mut plain = aes_gcm::Aes128Gcm::new_from_slice(&cek)
        .unwrap()
        .decrypt(aes_gcm::Nonce::from_slice(&nonce), ciphertext)
        .expect("the message decrypts with the browser's keys");
    // The last record ends with the delimiter 2, then padding zeros.
    while plain.last() == Some(&0) {
        plain.pop();
    }
    assert_eq!(plain.pop(), Some(2), "the last record's delimiter");
    plain
}

/// RFC 8292: the `vapid t=<JWT>, k=<key>` header's claims, after checking its ES256 signature
/// with the key it names; returns (claims, key).
fn check_vapid(header: &str) -> (Value, String) {
    use base64ct::{Base64UrlUnpadded, Encoding as _};
    use p256::ecdsa::signature::Verifier as _;
    let rest = header.strip_prefix("vapid t=").expect("a vapid header");
    let (token, key) = rest.split_once(", k=").expect("t= and k=");
    let public = Base64UrlUnpadded::decode_vec(key).unwrap();
    let verifier = p256::ecdsa::VerifyingKey::from_sec1_bytes(&public).unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature =
        p256::ecdsa::Signature::from_slice(&Base64UrlUnpadded::decode_vec(signature).unwrap())
            .unwrap();
    verifier
        .verify(signed.as_bytes(), &signature)
        .expect("the JWT is signed with the key it names");
    let (header, claims) = signed.split_once('.').unwrap();
    let header: Value =
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims = serde_json::from_slice(&Base64UrlUnpadded::decode_vec(claims).unwrap()).unwrap();
    (claims, key.to_owned())
}

/// Web Push: the test plays a browser (its own P-256 key and auth secret) and its push service
/// (an endpoint on loopback). What the agent sends decrypts with the browser's keys alone, is
/// signed with the VAPID key `notifications.pushKey` gives, and says what the service worker
/// shows; bad keys are refused; a subscription its service calls gone (410) is removed.
#[tokio::test(flavor = "multi_thread")]
async fn web_push_is_encrypted_for_the_browser_and_signed_with_the_agents_key() {
    use base64ct::{Base64UrlUnpadded, Encoding as _};
    let agent = TestAgent::start("webpush").await;
    let (base, received) = endpoints().await;
    let push_key: perry_api::notifications::PushKey = agent
        .ok::<perry_api::procedures::NotificationsPushKey>(json!(null))
        .await;
    // The same key every time (made once, kept in config.json).
    let again: perry_api::notifications::PushKey = agent
        .ok::<perry_api::procedures::NotificationsPushKey>(json!(null))
        .await;
    assert_eq!(push_key, again);

    let browser = p256::SecretKey::random(&mut rand_core());
    let auth: [u8; 16] = std::array::from_fn(|index| (index * 7 + 3) as u8);
    let keys = json!({
        "p256dh": Base64UrlUnpadded::encode_string(browser.public_key().to_sec1_bytes().as_ref()),
        "auth": Base64UrlUnpadded::encode_string(&auth),
    });
    // Bad keys and keys where none belong are refused, naming the field.
    for (input, why) in [
        (
            json!({"name": "laptop", "kind": "webpush", "url": format!("{base}/hook")}),
            "needs the subscription's keys",
        ),
        (
            json!({"name": "laptop", "kind": "webpush", "url": format!("{base}/hook"),
                   "keys": {"p256dh": "bm90IGEga2V5", "auth": keys["auth"]}}),
            "not a P-256 public key",
        ),
        (
            json!({"name": "laptop", "kind": "ntfy", "url": format!("{base}/t"), "keys": keys}),
            "Only a Web Push channel",
        ),
    ] {
        let (status, body) = agent.call("notifications/add", input.clone()).await;
        assert_eq!(status, 400, "{input}: {body}");
        assert_eq!(body["data"]["issues"][0]["path"], json!(["keys"]), "{body}");
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
    let _: NotificationChannel = agent
        .ok::<NotificationsAdd>(json!({"name": "laptop", "kind": "webpush",
            "url": format!("{base}/hook"), "keys": keys}))
        .await;
    let _: Workspace = agent.ok::<WorkspacesCreate>(json!({"name": "pushy"})).await;
    hook(
        &agent.container("pushy"),
        json!({"hook_event_name": "PermissionRequest", "tool_name": "Bash",
               "tool_input": {"command": "terraform apply"}}),
    )
    .await;
    wait_for("the push", || {
        received
            .lock()
            .unwrap()
            .iter()
            .any(|(path, _, _)| path == "/hook")
    })
    .await;
    let (headers, body) = received
        .lock()
        .unwrap()
        .iter()
        .find(|(path, _, _)| path == "/hook")
        .map(|(_, headers, body)| (headers.clone(), body.clone()))
        .unwrap();
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(headers.contains_key("ttl"), "{headers:?}");
    let message: Value = serde_json::from_slice(&decrypt_push(&body, &browser, &auth)).unwrap();
    assert_eq!(
        message,
        json!({"title": "Ship the release needs you",
               "body": "Claude Code in pushy: Bash: terraform apply",
               "tag": format!("pushy:{SESSION}"),
               "path": format!("/workspaces/pushy/sessions/{SESSION}")})
    );
    let (claims, key) = check_vapid(headers["authorization"].to_str().unwrap());
    assert_eq!(
        key, push_key.public_key,
        "signed with the agent's VAPID key"
    );
    assert_eq!(claims["aud"], "http://127.0.0.1");
    assert!(
        claims["sub"].as_str().unwrap().starts_with("mailto:"),
        "{claims}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires = claims["exp"].as_u64().unwrap();
    assert!(expires > now && expires <= now + 24 * 3600, "{claims}");

    // A subscription its push service says is gone goes.
    let _: NotificationChannel = agent
        .ok::<NotificationsAdd>(json!({"name": "old-phone", "kind": "webpush",
            "url": format!("{base}/gone"), "keys": keys}))
        .await;
    let (status, body) = agent
        .call("notifications/test", json!({"name": "old-phone"}))
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("the subscription is gone: the push service answered 404"),
        "{body}"
    );
    let channels: Vec<NotificationChannel> = agent.ok::<NotificationsList>(json!(null)).await;
    assert_eq!(
        channels
            .iter()
            .map(|channel| channel.name.as_str())
            .collect::<Vec<_>>(),
        ["laptop"]
    );
}

fn rand_core() -> p256::elliptic_curve::rand_core::OsRng {
    p256::elliptic_curve::rand_core::OsRng
}
