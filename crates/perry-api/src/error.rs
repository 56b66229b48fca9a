//! oRPC error codes and the body of a failed call.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// The oRPC error codes Perry uses, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotSupported,
    Timeout,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    UnprocessableContent,
    TooManyRequests,
    InternalServerError,
    NotImplemented,
    BadGateway,
    ServiceUnavailable,
    GatewayTimeout,
}

impl ErrorCode {
    /// The HTTP status oRPC pairs with this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotSupported => 405,
            ErrorCode::Timeout => 408,
            ErrorCode::Conflict => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::UnprocessableContent => 422,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::InternalServerError => 500,
            ErrorCode::NotImplemented => 501,
            ErrorCode::BadGateway => 502,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::GatewayTimeout => 504,
        }
    }

    /// The code as it appears on the wire, e.g. `NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotSupported => "METHOD_NOT_SUPPORTED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::PreconditionFailed => "PRECONDITION_FAILED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::UnprocessableContent => "UNPROCESSABLE_CONTENT",
            ErrorCode::TooManyRequests => "TOO_MANY_REQUESTS",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ErrorCode::NotImplemented => "NOT_IMPLEMENTED",
            ErrorCode::BadGateway => "BAD_GATEWAY",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::GatewayTimeout => "GATEWAY_TIMEOUT",
        }
    }
}

/// The `json` of an oRPC error reply: exactly these five keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RpcError {
    /// True when the procedure declares this error; Perry's typed errors are all defined.
    pub defined: bool,
    pub code: ErrorCode,
    pub status: u16,
    /// A sentence a person can act on.
    pub message: String,
    /// What a program can act on, when the error is about a workspace or a field of the input.
    #[serde(default)]
    pub data: Option<ErrorData>,
}

/// The structured part of an error: which workspace it is about, which fields of the input are
/// wrong. Clients act on these (a page of a deleted workspace says so; a form marks the field)
/// instead of reading the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ErrorData {
    /// The workspace the error is about (e.g. the one that does not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub workspace: Option<String>,
    /// What is wrong with the input, field by field, in the shape oRPC's own validation uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<Issue>>"))]
    pub issues: Vec<Issue>,
}

/// One problem with a call's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Issue {
    pub message: String,
    /// Where in the input, e.g. `["limits", "cpus"]`; empty for the input as a whole.
    #[serde(default)]
    pub path: Vec<String>,
}

impl Issue {
    /// The path as a person reads it: `limits.cpus`, `command[0]`.
    pub fn path_text(&self) -> String {
        let mut text = String::new();
        for segment in &self.path {
            if segment.parse::<usize>().is_ok() {
                text.push_str(&format!("[{segment}]"));
            } else {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(segment);
            }
        }
        text
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.path_text() {
            path if path.is_empty() => f.write_str(&self.message),
            path => write!(f, "{path}: {}", self.message),
        }
    }
}

impl RpcError {
    /// An error of `code` with `message` and no data.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RpcError {
            defined: true,
            code,
            status: code.status(),
            message: message.into(),
            data: None,
        }
    }

    /// The workspace a NOT_FOUND says does not exist (not an engine object or a session in it).
    pub fn missing_workspace(&self) -> Option<&str> {
        (self.code == ErrorCode::NotFound)
            .then(|| self.data.as_ref()?.workspace.as_deref())
            .flatten()
    }

    /// The issues of a rejected input, none for other errors.
    pub fn issues(&self) -> &[Issue] {
        self.data.as_ref().map_or(&[], |data| &data.issues)
    }
}

impl std::fmt::Display for RpcError {
    /// The message, then the issues that are not already the message, then the code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        let mut separator = ": ";
        for issue in self.issues() {
            if issue.message != self.message {
                write!(f, "{separator}{issue}")?;
                separator = "; ";
            }
        }
        write!(f, " ({})", self.code.as_str())
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reads_with_its_issues_and_decodes_without_data() {
        let mut error = RpcError::new(ErrorCode::BadRequest, "Input validation failed");
        error.data = Some(ErrorData {
            workspace: None,
            issues: vec![
                Issue {
                    message: "invalid type: string \"x\", expected f64".to_owned(),
                    path: vec!["limits".to_owned(), "cpus".to_owned()],
                },
                Issue {
                    message: "must not be empty".to_owned(),
                    path: vec!["command".to_owned(), "0".to_owned()],
                },
            ],
        });
        assert_eq!(
            error.to_string(),
            "Input validation failed: limits.cpus: invalid type: string \"x\", expected f64; command[0]: must not be empty (BAD_REQUEST)"
        );
        let wire = serde_json::to_value(&error).unwrap();
        assert_eq!(wire["data"]["issues"][0]["path"][1], "cpus");
        assert!(wire["data"].get("workspace").is_none());

        // oRPC sends `data` as null or leaves it out when there is none.
        for body in [
            serde_json::json!({"defined": true, "code": "NOT_FOUND", "status": 404, "message": "gone", "data": null}),
            serde_json::json!({"defined": false, "code": "NOT_FOUND", "status": 404, "message": "gone"}),
        ] {
            let error: RpcError = serde_json::from_value(body).unwrap();
            assert_eq!(error.data, None);
            assert_eq!(error.to_string(), "gone (NOT_FOUND)");
        }
    }
}
