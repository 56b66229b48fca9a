//! What the fuzz target in `fuzz/` calls: the functions the server runs on the bytes of a
//! request, reachable without a running agent or Docker. Not an API; hidden from the docs.

use axum::extract::Request;
use serde_json::Value;

use crate::error::ApiError;

pub use crate::ports::{ForwardRules, check_forwards, merge_forwards};
pub use crate::rpc::codec::{decode_envelope, decode_input, encode_output, unwrap_envelope};
pub use crate::workspace::limits::{
    DEFAULT_LIMITS, HostResources, check_against_host, check_limits, merge as merge_limits,
};
pub use crate::workspace::validate_name;

/// The input of a GET call from its query string (`?data=<envelope>`).
pub fn decode_query(query: Option<&str>) -> Result<Value, ApiError> {
    crate::rpc::decode_query(query)
}

/// The token a request presents, as the auth middleware reads it.
pub fn presented_token(request: &Request, allow_query: bool) -> Option<String> {
    crate::auth::presented_token(request, allow_query)
}

/// The check of `workspaces.create`'s `clone` URL; on success the directory it clones into.
pub fn clone_directory(url: &str) -> Result<String, ApiError> {
    crate::workspace::clone_target(url).map(|target| target.directory)
}

/// Whether `workspaces.exec` takes `user` as a user name.
pub fn valid_exec_user(user: &str) -> bool {
    crate::workspace::valid_exec_user(user)
}
