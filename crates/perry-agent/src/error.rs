//! The agent's one API error type: each variant is an oRPC error code, and the reply a client
//! gets is built here and nowhere else.
//!
//! **Architecture invariant:** every request-facing failure is an [`ApiError`]; `anyhow` stays
//! inside and surfaces only as `INTERNAL_SERVER_ERROR`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use perry_api::{ErrorCode, ErrorData, Issue, RpcError};
use serde_json::json;

use crate::engine::EngineError;

/// A failed API call, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// The input did not match the procedure's input type.
    #[error("Input validation failed")]
    InvalidInput { issues: Vec<Issue> },
    /// One field of the input has a value no workspace could take (a name, a URL, a limit).
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("Workspace {0:?} does not exist")]
    WorkspaceNotFound(String),
    /// A create whose name is taken: a conflict about that workspace and the input's name.
    #[error("Workspace {0:?} already exists")]
    WorkspaceExists(String),
    #[error(
        "Missing or wrong token: send 'Authorization: Bearer <token>' (the token is in the agent's config.json)"
    )]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotSupported(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// What the request points at cannot be used as it is (a repository's devcontainer.json
    /// that is wrong, a build of it that fails).
    #[error("{0}")]
    UnprocessableContent(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    NotImplemented(String),
    #[error("{0}")]
    ServiceUnavailable(String),
    /// A peer agent this one relays to did not answer as it should.
    #[error("{0}")]
    BadGateway(String),
    /// A peer agent this one relays to did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    #[error("{0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// The oRPC code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_)
            | ApiError::InvalidInput { .. }
            | ApiError::InvalidField { .. } => ErrorCode::BadRequest,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) | ApiError::WorkspaceNotFound(_) => ErrorCode::NotFound,
            ApiError::MethodNotSupported(_) => ErrorCode::MethodNotSupported,
            ApiError::Timeout(_) => ErrorCode::Timeout,
            ApiError::Conflict(_) | ApiError::WorkspaceExists(_) => ErrorCode::Conflict,
            ApiError::PreconditionFailed(_) => ErrorCode::PreconditionFailed,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::UnprocessableContent(_) => ErrorCode::UnprocessableContent,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::TooManyRequests(_) => ErrorCode::TooManyRequests,
            ApiError::NotImplemented(_) => ErrorCode::NotImplemented,
            ApiError::ServiceUnavailable(_) => ErrorCode::ServiceUnavailable,
            ApiError::BadGateway(_) => ErrorCode::BadGateway,
            ApiError::GatewayTimeout(_) => ErrorCode::GatewayTimeout,
            ApiError::Internal(_) => ErrorCode::InternalServerError,
        }
    }

    /// The error body of the oRPC reply.
    pub fn to_rpc(&self) -> RpcError {
        let mut error = RpcError::new(self.code(), self.to_string());
        error.data = match self {
            ApiError::InvalidInput { issues } => Some(ErrorData {
                issues: issues.clone(),
                ..ErrorData::default()
            }),
            ApiError::InvalidField { field, message } => Some(ErrorData {
                issues: vec![Issue {
                    message: message.clone(),
                    path: vec![(*field).to_owned()],
                }],
                ..ErrorData::default()
            }),
            ApiError::WorkspaceNotFound(name) => Some(ErrorData {
                workspace: Some(name.clone()),
                ..ErrorData::default()
            }),
            ApiError::WorkspaceExists(name) => Some(ErrorData {
                workspace: Some(name.clone()),
                issues: vec![Issue {
                    message: self.to_string(),
                    path: vec!["name".to_owned()],
                }],
            }),
            _ => None,
        };
        error
    }

    /// This error, told as a problem with `field` of the input when it is a bad request.
    pub fn in_field(self, field: &'static str) -> ApiError {
        match self {
            ApiError::BadRequest(message) => ApiError::InvalidField { field, message },
            other => other,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Unavailable(_) => ApiError::ServiceUnavailable(error.to_string()),
            EngineError::NotFound(message) => ApiError::NotFound(format!("Engine: {message}")),
            EngineError::Conflict(message) | EngineError::PortInUse(message) => {
                ApiError::Conflict(format!("Engine: {message}"))
            }
            EngineError::RemovalInProgress(_) => ApiError::Conflict(error.to_string()),
            // A policy or quota that says no, a request the engine cannot take, an engine that
            // cannot place the workspace now: each told as such (Kubernetes says all three).
            EngineError::Refused {
                status: 403,
                message,
            } => ApiError::Forbidden(format!("The engine refused: {message}")),
            EngineError::Refused {
                status: 400 | 422,
                message,
            } => ApiError::BadRequest(format!("The engine refused: {message}")),
            EngineError::Refused {
                status: 503,
                message,
            } => ApiError::ServiceUnavailable(format!("The engine cannot do it now: {message}")),
            EngineError::Refused { message, .. } | EngineError::Failed(message) => {
                ApiError::Internal(anyhow::anyhow!("The engine refused: {message}"))
            }
            EngineError::NotModified(_) => ApiError::Internal(anyhow::anyhow!("{error}")),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::Internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(error) = &self {
            tracing::error!("internal error: {error:#}");
        }
        let body = self.to_rpc();
        let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(json!({ "json": body }))).into_response()
    }
}

/// The last error in `error`'s source chain: for a refused connection reqwest says "error
/// sending request for url (…)" and only its innermost source says "Connection refused". The
/// CLI and the relay to peers tell unreachable agents with it.
pub fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}
