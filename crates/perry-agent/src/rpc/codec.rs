//! The oRPC wire format of `@orpc/client`'s RPCLink: `{"json": <value>, "meta": [...]}` both ways.

use axum::http::{HeaderMap, header};
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;

/// The oRPC meta tag for `undefined`.
const META_UNDEFINED: u64 = 3;

/// The procedure input from a POST body; `Null` when none was sent. The content type must be
/// JSON even for an empty body: an HTML form or a `no-cors` fetch from another site cannot send
/// it, so this is what keeps a page the user visits from calling procedures.
pub fn decode_envelope(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Unsupported content type {content_type:?}: send the input as JSON with 'content-type: application/json'"
        )));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
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

/// The input as a procedure's type decodes it: `undefined` (no input) is an empty object, so an
/// input whose fields are all optional may be left out.
pub fn decode_input(input: Value) -> Value {
    if input.is_null() {
        Value::Object(Default::default())
    } else {
        input
    }
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
    fn empty_body_is_undefined_input_but_still_needs_the_json_content_type() {
        assert_eq!(decode_envelope(&json_headers(), b"").unwrap(), Value::Null);
        assert!(matches!(
            decode_envelope(&HeaderMap::new(), b""),
            Err(ApiError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn content_type_parameters_are_allowed_and_other_media_types_are_not() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(decode_envelope(&headers, b"{}").unwrap(), Value::Null);
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonp",
        ] {
            headers.insert(header::CONTENT_TYPE, refused.parse().unwrap());
            assert!(
                matches!(
                    decode_envelope(&headers, b"{}"),
                    Err(ApiError::UnsupportedMediaType(_))
                ),
                "{refused}"
            );
        }
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
        let decoded: CreateWorkspaceInput = serde_json::from_value(decode_input(input)).unwrap();
        assert_eq!(
            decoded,
            CreateWorkspaceInput {
                name: "a".into(),
                image: None,
                clone: None,
                limits: None,
                devcontainer: None,
            }
        );
    }

    #[test]
    fn bad_json_and_bad_envelopes_are_bad_requests() {
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
    fn output_goes_in_the_json_key_and_undefined_has_none() {
        let encoded: Value = serde_json::from_slice(&encode_output(&[1]).unwrap()).unwrap();
        assert_eq!(encoded, json!({"json": [1]}));
        let undefined: Value = serde_json::from_slice(UNDEFINED_OUTPUT).unwrap();
        assert_eq!(undefined, json!({}));
    }
}
