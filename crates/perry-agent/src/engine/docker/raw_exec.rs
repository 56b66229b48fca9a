//! Attaching to an exec with a TTY as a raw byte stream.
//!
//! bollard's exec attach decodes Docker's multiplexed stream format, which a TTY exec does not
//! use: a TTY chunk that happens to start with a byte 0–2 is taken for a frame header, its first
//! eight bytes vanish and the output stalls until the program exits (`cat` of a binary file froze
//! a terminal). So for TTY execs Perry upgrades the connection itself and keeps the raw bytes.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use super::EngineError;

/// Both directions of an attached TTY exec.
pub type RawStream = TokioIo<hyper::upgrade::Upgraded>;

/// Where the Engine listens: `DOCKER_HOST` (unix:// or tcp://), else the local socket.
enum Endpoint {
    Unix(String),
    Tcp(String),
}

fn endpoint() -> Result<Endpoint, EngineError> {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    if host.is_empty() {
        return Ok(Endpoint::Unix("/var/run/docker.sock".to_owned()));
    }
    if let Some(path) = host.strip_prefix("unix://") {
        return Ok(Endpoint::Unix(path.to_owned()));
    }
    if let Some(address) = host.strip_prefix("tcp://") {
        return Ok(Endpoint::Tcp(address.to_owned()));
    }
    Err(EngineError::Failed(format!(
        "DOCKER_HOST {host:?} is not unix:// or tcp://"
    )))
}

async fn connect() -> Result<Box<dyn Io>, EngineError> {
    let unavailable = |error: std::io::Error| super::error::unavailable(error);
    Ok(match endpoint()? {
        Endpoint::Unix(path) => Box::new(
            tokio::net::UnixStream::connect(path)
                .await
                .map_err(unavailable)?,
        ),
        Endpoint::Tcp(address) => {
            let stream = tokio::net::TcpStream::connect(address)
                .await
                .map_err(unavailable)?;
            stream.set_nodelay(true).map_err(unavailable)?;
            Box::new(stream)
        }
    })
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// Starts exec `exec_id` (created with a TTY) and returns its raw stream.
pub async fn start_attached(api_version: &str, exec_id: &str) -> Result<RawStream, EngineError> {
    let io = TokioIo::new(connect().await?);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(super::error::unavailable)?;
    tokio::spawn(async move {
        if let Err(error) = connection.with_upgrades().await {
            tracing::debug!("exec attach connection ended: {error}");
        }
    });
    let request = Request::post(format!("/v{api_version}/exec/{exec_id}/start"))
        .header(header::HOST, "docker")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "tcp")
        .body(Full::new(Bytes::from_static(
            br#"{"Detach":false,"Tty":true}"#,
        )))
        .map_err(|error| EngineError::Failed(error.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(super::error::unavailable)?;
    match response.status() {
        StatusCode::SWITCHING_PROTOCOLS | StatusCode::OK => {}
        StatusCode::NOT_FOUND => return Err(EngineError::NotFound(format!("no exec {exec_id}"))),
        StatusCode::CONFLICT => {
            return Err(EngineError::Conflict(
                "the container is not running".to_owned(),
            ));
        }
        status => {
            return Err(EngineError::Refused {
                status: status.as_u16(),
                message: format!("exec start answered {status}"),
            });
        }
    }
    let upgraded = hyper::upgrade::on(response)
        .await
        .map_err(|error| EngineError::Failed(format!("exec attach did not upgrade: {error}")))?;
    Ok(TokioIo::new(upgraded))
}
