//! Why a Docker call failed, as a kind the rest of the agent can match on.
//!
//! Docker answers an error with an HTTP status and a message meant for people. The kind comes
//! from the status, here and nowhere else; only a failed port bind (a plain 500) has to be told
//! from other 500s by its message, and that is done once, in [`DockerError::from`]. Nothing
//! outside `docker/` looks at Docker's message text.

use bollard::errors::Error as BollardError;

/// Why a Docker call failed, sorted by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerError {
    /// The daemon does not answer at all.
    #[error("Docker is not answering ({0}); start the Docker daemon and try again")]
    Unavailable(String),
    /// 404: no such container, exec, image, volume or network.
    #[error("{0}")]
    NotFound(String),
    /// 409: the name is taken, or the object is in a state that forbids the call (an exec in a
    /// container that is not running, a volume in use).
    #[error("{0}")]
    Conflict(String),
    /// Docker is still removing the container after [`super::Docker::remove_container`] waited
    /// for it; until it is done the container's name and volumes stay taken.
    #[error("Docker is still removing container {0}; try again in a moment")]
    RemovalInProgress(String),
    /// 304: the container already was in the state asked for (started, stopped). bollard 0.21
    /// answers a 304 as success; this is here so that another version's way changes nothing.
    #[error("Docker changed nothing ({0})")]
    NotModified(String),
    /// A host port the container publishes is held by another process or container.
    #[error("{0}")]
    PortInUse(String),
    /// Docker answered with another error status.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// The call failed without an error status from Docker: a stream broke, an answer did not
    /// parse, or a step on our side (packing an archive) failed.
    #[error("{0}")]
    Failed(String),
}

impl From<BollardError> for DockerError {
    fn from(error: BollardError) -> Self {
        match error {
            BollardError::DockerResponseServerError {
                status_code,
                message,
            } => from_status(status_code, message),
            BollardError::JsonDataError { message, .. } => DockerError::Failed(message),
            BollardError::DockerStreamError { error } => DockerError::Failed(error),
            other => DockerError::Unavailable(other.to_string()),
        }
    }
}

/// The kind of an error answer with `status`.
fn from_status(status: u16, message: String) -> DockerError {
    match status {
        304 => DockerError::NotModified(message),
        404 => DockerError::NotFound(message),
        409 => DockerError::Conflict(message),
        // A taken host port is a plain 500 from the port mapper or the userland proxy; only the
        // message tells it from other failures. Docker 20.10 and later say one of these.
        500 if is_port_bind_failure(&message) => DockerError::PortInUse(message),
        status => DockerError::Refused { status, message },
    }
}

/// Docker's words for a host port it could not bind: "Bind for 0.0.0.0:2201 failed: port is
/// already allocated" (another container holds it) or "listen tcp4 0.0.0.0:2201: bind: address
/// already in use" (another process does).
fn is_port_bind_failure(message: &str) -> bool {
    message.contains("port is already allocated") || message.contains("address already in use")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status_code: u16, message: &str) -> DockerError {
        DockerError::from(BollardError::DockerResponseServerError {
            status_code,
            message: message.to_owned(),
        })
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(answer(304, ""), DockerError::NotModified(String::new()));
        assert_eq!(
            answer(404, "No such container: x"),
            DockerError::NotFound("No such container: x".to_owned())
        );
        assert_eq!(
            answer(409, "removal of container x is already in progress"),
            DockerError::Conflict("removal of container x is already in progress".to_owned())
        );
        assert_eq!(
            answer(500, "unable to apply caps: operation not permitted"),
            DockerError::Refused {
                status: 500,
                message: "unable to apply caps: operation not permitted".to_owned()
            }
        );
        assert_eq!(
            answer(400, ""),
            DockerError::Refused {
                status: 400,
                message: String::new()
            }
        );
    }

    #[test]
    fn a_failed_port_bind_is_port_in_use() {
        for message in [
            "driver failed programming external connectivity on endpoint w (abc): Bind for 0.0.0.0:2201 failed: port is already allocated",
            "driver failed programming external connectivity on endpoint w (abc): Error starting userland proxy: listen tcp4 0.0.0.0:2201: bind: address already in use",
        ] {
            assert_eq!(
                answer(500, message),
                DockerError::PortInUse(message.to_owned())
            );
        }
        // The same words with another status are not a bind failure of Docker's.
        assert!(matches!(
            answer(400, "address already in use"),
            DockerError::Refused { status: 400, .. }
        ));
    }

    #[test]
    fn no_answer_is_unavailable() {
        let error = DockerError::from(BollardError::RequestTimeoutError);
        assert!(matches!(error, DockerError::Unavailable(_)), "{error:?}");
    }
}
