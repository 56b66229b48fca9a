//! The oRPC wire format of `@orpc/client`'s RPCLink: `{"json": <value>, "meta": [...]}` both ways.

use axum::http::{HeaderMap, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// The oRPC meta tag for `undefined`.
const META_UNDEFINED: u64 = 3;

/// The procedure input from a request body (POST) or `?data=` (GET); `Null` when none was sent.
pub fn decode_envelope(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::BadRequest(format!(
            "Unsupported content type {content_type:?}: send the input as JSON with 'content-type: application/json'"
        )));
    }
    let envelope: Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::BadRequest(format!("The request body is not valid JSON: {error}"))
    })?;
    unwrap_envelope(envelope)
}

/// The input inside an oRPC envelope, with the `undefined` markers of its meta applied.
pub fn unwrap_envelope(envelope: Value) -> Result<Value, ApiError> {
    let Value::Object(mut envelope) = envelope else {
        return Err(ApiError::BadRequest(
            "The request body must be an oRPC envelope: {\"json\": <input>}".to_owned(),
        ));
    };
    let mut input = envelope.remove("json").unwrap_or(Value::Null);
    match envelope.remove("meta") {
        None | Some(Value::Null) => {}
        Some(Value::Array(meta)) => {
            for entry in meta {
                let Value::Array(entry) = entry else {
                    return Err(ApiError::BadRequest(
                        "Every oRPC meta entry must be an array".to_owned(),
                    ));
                };
                if entry.first().and_then(Value::as_u64) == Some(META_UNDEFINED) {
                    remove_path(&mut input, &entry[1..]);
                }
            }
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "oRPC meta must be an array".to_owned(),
            ));
        }
    }
    Ok(input)
}

/// Removes the value at `path` (object keys and array indexes); `undefined` means absent.
fn remove_path(value: &mut Value, path: &[Value]) {
    let Some((last, parents)) = path.split_last() else {
        *value = Value::Null;
        return;
    };
    let mut current = value;
    for segment in parents {
        let next = match (current, segment) {
            (Value::Object(map), Value::String(key)) => map.get_mut(key),
            (Value::Array(items), Value::Number(index)) => index
                .as_u64()
                .and_then(|index| items.get_mut(usize::try_from(index).ok()?)),
            _ => None,
        };
        let Some(next) = next else { return };
        current = next;
    }
    if let (Value::Object(map), Value::String(key)) = (current, last) {
        map.remove(key);
    }
}

/// Decodes the input of a procedure into its type; a mismatch is `Input validation failed`.
pub fn decode_input<T: DeserializeOwned>(input: Value) -> Result<T, ApiError> {
    let input = if input.is_null() {
        Value::Object(Default::default())
    } else {
        input
    };
    serde_json::from_value(input).map_err(|error| ApiError::InvalidInput {
        issues: vec![error.to_string()],
    })
}

/// The body of a reply without output: oRPC encodes `undefined` as an envelope without `json`.
pub const UNDEFINED_OUTPUT: &[u8] = b"{}";

/// The body of a successful reply, `{"json": <output>}`, serialized straight from the output's
/// type (no intermediate `Value`: a list of 100 workspaces is a hot path).
pub fn encode_output<T: Serialize>(output: &T) -> Result<Vec<u8>, ApiError> {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        json: &'a T,
    }
    serde_json::to_vec(&Envelope { json: output }).map_err(|error| ApiError::Internal(error.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use perry_api::CreateWorkspaceInput;
    use serde_json::json;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        headers
    }

    #[test]
    fn empty_body_is_undefined_input() {
        assert_eq!(
            decode_envelope(&HeaderMap::new(), b"").unwrap(),
            Value::Null
        );
    }

    #[test]
    fn envelope_without_json_is_undefined_input() {
        assert_eq!(
            decode_envelope(&json_headers(), b"{}").unwrap(),
            Value::Null
        );
    }

    #[test]
    fn meta_undefined_removes_the_key() {
        let body = br#"{"json": {"name": "a", "image": null}, "meta": [[3, "image"]]}"#;
        let input = decode_envelope(&json_headers(), body).unwrap();
        let decoded: CreateWorkspaceInput = decode_input(input).unwrap();
        assert_eq!(
            decoded,
            CreateWorkspaceInput {
                name: "a".into(),
                image: None,
                clone: None,
                limits: None,
            }
        );
    }

    #[test]
    fn wrong_content_type_and_bad_json_are_bad_requests() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(matches!(
            decode_envelope(&headers, b"{}"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            decode_envelope(&json_headers(), b"{nope"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            decode_envelope(&json_headers(), b"[1]"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            decode_envelope(&json_headers(), br#"{"json": 1, "meta": 5}"#),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn unknown_fields_and_wrong_types_fail_validation_with_issues() {
        let unknown =
            decode_input::<CreateWorkspaceInput>(json!({"name": "a", "extra": 1})).unwrap_err();
        let wrong_type = decode_input::<CreateWorkspaceInput>(json!({"name": 5})).unwrap_err();
        for error in [unknown, wrong_type] {
            let rpc = error.to_rpc();
            assert_eq!(rpc.message, "Input validation failed");
            assert_eq!(rpc.status, 400);
            assert!(rpc.data["issues"][0]["message"].is_string());
        }
    }

    #[test]
    fn output_goes_in_the_json_key_and_undefined_has_none() {
        let encoded: Value = serde_json::from_slice(&encode_output(&[1]).unwrap()).unwrap();
        assert_eq!(encoded, json!({"json": [1]}));
        let undefined: Value = serde_json::from_slice(UNDEFINED_OUTPUT).unwrap();
        assert_eq!(undefined, json!({}));
    }
}
