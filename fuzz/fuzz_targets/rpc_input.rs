//! Arbitrary request bytes through exactly what the agent's `/rpc` runs before a procedure does
//! any work: the token lookup of the auth middleware, then `perry_agent::rpc::decode` (the
//! method, the content type, the oRPC envelope, the input's type and every check of the input
//! that needs no Docker). Nothing of it may panic, whatever the bytes; errors must turn into
//! oRPC error replies. There is no copy of the agent's checks here: a check added to the agent
//! is fuzzed without a change to this file.
//!
//! The input's layout (the seeds in `fuzz/seeds/rpc_input` follow it):
//! `[procedure] [n] [content-type: n bytes] [m] [authorization: m bytes] [body …]`, where
//! `procedure` below 128 indexes the procedure table (modulo its length); from 64 up to 127 the
//! request is a GET instead of a POST. The body goes in as the POST body and, when it is UTF-8,
//! as a query string for the token lookup.
//!
//! From 128 up, `procedure - 128` picks the procedure and the rest of the bytes build its input
//! in the shape of its wire type (see `schema.rs`): raw bytes rarely spell a whole valid
//! object, and without a sanitizer libFuzzer learns no strings from `memcmp`, only integers
//! from comparisons, which this mode takes in binary.

#![no_main]

mod schema;

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::IntoResponse;
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use perry_agent::error::ApiError;
use perry_agent::fuzzing as agent;
use perry_api::procedures::{ProcedureTypes, procedure_types};
use serde_json::Value;

fuzz_target!(|data: &[u8]| run(data));

/// The procedure table with the TypeScript names of its types, which `schema` shapes inputs by.
fn procedures() -> &'static [ProcedureTypes] {
    static PROCEDURES: OnceLock<Vec<ProcedureTypes>> = OnceLock::new();
    PROCEDURES.get_or_init(procedure_types)
}

fn run(data: &[u8]) {
    let mut bytes = data;
    let Some(procedure) = take(&mut bytes, 1).and_then(|byte| byte.first().copied()) else {
        return;
    };
    if procedure >= 128 {
        structured(procedure - 128, bytes);
        return;
    }
    let method = if procedure >= 64 {
        Method::GET
    } else {
        Method::POST
    };
    let content_type = take_sized(&mut bytes);
    let authorization = take_sized(&mut bytes);
    let body = bytes;
    let procedures = procedures();
    let path = procedures[usize::from(procedure) % procedures.len()].path;

    let mut headers = HeaderMap::new();
    // Only valid header values reach the agent: hyper refuses the rest.
    if let Some(value) = content_type.and_then(|bytes| HeaderValue::from_bytes(bytes).ok()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let authorization = authorization.and_then(|bytes| HeaderValue::from_bytes(bytes).ok());
    token(authorization, std::str::from_utf8(body).ok());
    settle(agent::decode_call(&method, path, &headers, body));
}

/// A procedure's input shaped like its wire type ([`schema`]), in an envelope that sometimes
/// marks keys `undefined`, through the POST path.
fn structured(procedure: u8, bytes: &[u8]) {
    let procedures = procedures();
    let procedure = &procedures[usize::from(procedure) % procedures.len()];
    let mut unstructured = Unstructured::new(bytes);
    let Ok(input) = schema::input(&mut unstructured, &procedure.input) else {
        return;
    };
    let mut envelope = serde_json::Map::new();
    if let (Ok(true), Value::Object(fields)) = (unstructured.ratio(1u8, 4), &input) {
        let keys: Vec<&String> = fields.keys().collect();
        let mut meta = Vec::new();
        for _ in 0..unstructured.int_in_range(1..=2u8).unwrap_or(1) {
            let tag = unstructured.int_in_range(0..=8u8).unwrap_or(3);
            let key = unstructured
                .choose(&keys)
                .map_or_else(|_| "name".to_owned(), |key| (*key).clone());
            meta.push(serde_json::json!([tag, key]));
        }
        envelope.insert("meta".to_owned(), Value::Array(meta));
    }
    envelope.insert("json".to_owned(), input);
    let Ok(body) = serde_json::to_vec(&Value::Object(envelope)) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    settle(agent::decode_call(
        &Method::POST,
        procedure.path,
        &headers,
        &body,
    ));
}

/// `count` bytes off the front of `bytes`, if there are that many.
fn take<'a>(bytes: &mut &'a [u8], count: usize) -> Option<&'a [u8]> {
    if bytes.len() < count {
        return None;
    }
    let (front, rest) = bytes.split_at(count);
    *bytes = rest;
    Some(front)
}

/// A length byte, then that many bytes.
fn take_sized<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = take(bytes, 1)?[0];
    take(bytes, usize::from(length))
}

/// The auth middleware's token lookup, header first, then `?token=` where it allows it.
fn token(authorization: Option<HeaderValue>, query: Option<&str>) {
    let mut request = Request::new(Body::empty());
    if let Some(uri) = query.and_then(|query| format!("/rpc/x?{query}").parse().ok()) {
        *request.uri_mut() = uri;
    }
    if let Some(value) = authorization {
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    for allow_query in [false, true] {
        let _ = agent::presented_token(&request, allow_query);
    }
}

/// Every error becomes the oRPC reply a client would get.
fn settle<T: std::fmt::Debug>(outcome: Result<T, ApiError>) {
    match outcome {
        Ok(call) => {
            let _ = format!("{call:?}");
        }
        Err(error) => {
            let _ = error.to_rpc();
            let _ = error.into_response();
        }
    }
}
