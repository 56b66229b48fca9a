//! Why an engine call failed, as a kind the rest of the agent can match on.
//!
//! Each engine turns its own answers (Docker's and Kubernetes' HTTP statuses) into these kinds,
//! in its own module and nowhere else; nothing outside `engine/` reads an engine's message text.

/// Why an engine call failed, sorted by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The engine does not answer at all; the message says which and what to do.
    #[error("{0}")]
    Unavailable(String),
    /// 404: no such container (pod), exec, image, volume (claim) or network.
    #[error("{0}")]
    NotFound(String),
    /// 409: the name is taken, or the object is in a state that forbids the call (an exec in a
    /// container that is not running, a volume in use).
    #[error("{0}")]
    Conflict(String),
    /// The engine is still removing the container after [`super::Engine::remove_container`]
    /// waited for it; until it is done the container's name and volumes stay taken.
    #[error("The engine is still removing {0}; try again in a moment")]
    RemovalInProgress(String),
    /// 304: the container already was in the state asked for (started, stopped). bollard 0.21
    /// answers a 304 as success; this is here so that another version's way changes nothing.
    #[error("Nothing changed ({0})")]
    NotModified(String),
    /// A host port the container publishes is held by another process or container.
    #[error("{0}")]
    PortInUse(String),
    /// The engine answered with another error status (Kubernetes: a quota or policy refusal).
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// The call failed without an error status from the engine: a stream broke, an answer did not
    /// parse, or a step on our side (packing an archive) failed.
    #[error("{0}")]
    Failed(String),
}
