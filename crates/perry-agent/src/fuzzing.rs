//! What the fuzz target in `fuzz/` calls: the functions the server runs on the bytes of a
//! request before any work, reachable without a running agent or Docker. Not an API; hidden
//! from the docs.

use axum::extract::Request;

pub use crate::rpc::codec::encode_output;
pub use crate::rpc::decode as decode_call;

/// The token a request presents, as the auth middleware reads it.
pub fn presented_token(request: &Request, allow_query: bool) -> Option<String> {
    crate::auth::presented_token(request, allow_query)
}
