//! Docker's answers as [`EngineError`] kinds.
//!
//! Docker answers an error with an HTTP status and a message meant for people. The kind comes
//! from the status, here and nowhere else; only a failed port bind (a plain 500) has to be told
//! from other 500s by its message, and that is done once, in [`EngineError::from`].

use bollard::errors::Error as BollardError;

use crate::engine::EngineError;

/// Docker not answering at all, with what to do about it.
pub(super) fn unavailable(detail: impl std::fmt::Display) -> EngineError {
    EngineError::Unavailable(format!(
        "Docker is not answering ({detail}); start the Docker daemon and try again"
    ))
}

impl From<BollardError> for EngineError {
    fn from(error: BollardError) -> Self {
        match error {
            BollardError::DockerResponseServerError {
                status_code,
                message,
            } => from_status(status_code, message),
            BollardError::JsonDataError { message, .. } => EngineError::Failed(message),
            BollardError::DockerStreamError { error } => EngineError::Failed(error),
            other => unavailable(other),
        }
    }
}

/// The kind of an error answer with `status`.
fn from_status(status: u16, message: String) -> EngineError {
    match status {
        304 => EngineError::NotModified(message),
        404 => EngineError::NotFound(message),
        409 => EngineError::Conflict(message),
        // A taken host port is a plain 500 from the port mapper or the userland proxy; only the
        // message tells it from other failures. Docker 20.10 and later say one of these.
        500 if is_port_bind_failure(&message) => EngineError::PortInUse(message),
        status => EngineError::Refused { status, message },
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

    fn answer(status_code: u16, message: &str) -> EngineError {
        EngineError::from(BollardError::DockerResponseServerError {
            status_code,
            message: message.to_owned(),
        })
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(answer(304, ""), EngineError::NotModified(String::new()));
        assert_eq!(
            answer(404, "No such container: x"),
            EngineError::NotFound("No such container: x".to_owned())
        );
        assert_eq!(
            answer(409, "removal of container x is already in progress"),
            EngineError::Conflict("removal of container x is already in progress".to_owned())
        );
        assert_eq!(
            answer(500, "unable to apply caps: operation not permitted"),
            EngineError::Refused {
                status: 500,
                message: "unable to apply caps: operation not permitted".to_owned()
            }
        );
        assert_eq!(
            answer(400, ""),
            EngineError::Refused {
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
                EngineError::PortInUse(message.to_owned())
            );
        }
        // The same words with another status are not a bind failure of Docker's.
        assert!(matches!(
            answer(400, "address already in use"),
            EngineError::Refused { status: 400, .. }
        ));
    }

    #[test]
    fn no_answer_is_unavailable() {
        let error = EngineError::from(BollardError::RequestTimeoutError);
        assert!(matches!(error, EngineError::Unavailable(_)), "{error:?}");
    }
}
