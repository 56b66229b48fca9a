//! Inputs shaped like Perry's wire types, read from their TypeScript declarations (which ts-rs
//! generates from the Rust types): the keys and kinds of value a procedure expects, so the
//! fuzzer spends its time in the checks rather than on `unknown field`. A field added to an
//! input is fuzzed without a change here. Now and then a value of the wrong kind, a missing
//! required key or an unknown key goes in too.

use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use serde_json::{Map, Value};

/// Strings that pass or almost pass Perry's checks.
const STRINGS: &[&str] = &[
    "alpha",
    "a",
    "-a",
    "a-",
    "workspace",
    "root",
    "",
    " ",
    "..",
    "/tmp",
    "~/x",
    "https://github.com/owner/repo.git",
    "git@github.com:owner/repo",
    "file:///srv/git/repo",
    "ssh://git@host:2222/x/y.git",
    "--upload-pack=x",
    "https://host/..",
    "2026-01-01T00:00:00Z",
    "2026-13-01T00:00:00.1234567891Z",
    "claude-code",
    "box:7391",
];

/// The shape of a TypeScript type as ts-rs writes Perry's.
#[derive(Debug)]
enum Shape {
    String,
    Number,
    Boolean,
    Null,
    Literal(String),
    Array(Box<Shape>),
    /// Fields: name, optional, shape.
    Object(Vec<(String, bool, Shape)>),
    Union(Vec<Shape>),
    Named(String),
    Any,
}

/// Every declared type by name.
fn shapes() -> &'static HashMap<String, Shape> {
    static SHAPES: OnceLock<HashMap<String, Shape>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let text = without_comments(&perry_api::typescript_bindings());
        text.split("export type ")
            .skip(1)
            .filter_map(|declaration| {
                let (name, body) = declaration.split_once(" = ")?;
                let body = &body[..body.find(";\n")?];
                Some((name.trim().to_owned(), parse(body.trim())))
            })
            .collect()
    })
}

fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// `text` split at `separator` where no bracket is open.
fn split_top(text: &str, separator: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if depth == 0 && rest.starts_with(separator) {
            parts.push(std::mem::take(&mut current));
            rest = &rest[separator.len()..];
            continue;
        }
        match c {
            '{' | '<' | '[' | '(' => depth += 1,
            '}' | '>' | ']' | ')' => depth -= 1,
            _ => {}
        }
        current.push(c);
        rest = &rest[c.len_utf8()..];
    }
    parts.push(current);
    parts
}

fn parse(text: &str) -> Shape {
    let text = text.trim();
    let alternatives = split_top(text, " | ");
    if alternatives.len() > 1 {
        return Shape::Union(alternatives.iter().map(|part| parse(part)).collect());
    }
    match text {
        "string" => return Shape::String,
        "number" | "bigint" => return Shape::Number,
        "boolean" => return Shape::Boolean,
        "null" => return Shape::Null,
        _ => {}
    }
    if let Some(literal) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Shape::Literal(literal.to_owned());
    }
    if let Some(item) = text
        .strip_prefix("Array<")
        .and_then(|t| t.strip_suffix('>'))
    {
        return Shape::Array(Box::new(parse(item)));
    }
    if let Some(body) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let fields = split_top(body, ",")
            .iter()
            .filter_map(|field| {
                let parts = split_top(field, ":");
                let name = parts.first()?.trim();
                let kind = parts[1..].join(":");
                let optional = name.ends_with('?');
                let name = name.trim_end_matches('?').trim_matches('"');
                (!name.is_empty()).then(|| (name.to_owned(), optional, parse(&kind)))
            })
            .collect();
        return Shape::Object(fields);
    }
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Shape::Named(text.to_owned());
    }
    Shape::Any
}

/// An input for the wire type called `type_name` (`void` and unknown names: anything).
pub fn input(unstructured: &mut Unstructured, type_name: &str) -> Result<Value> {
    match shapes().get(type_name) {
        Some(shape) => generate(unstructured, shape, 3),
        None => any(unstructured, 2),
    }
}

fn generate(unstructured: &mut Unstructured, shape: &Shape, depth: u32) -> Result<Value> {
    if unstructured.ratio(1u8, 32)? {
        return any(unstructured, depth.min(1));
    }
    Ok(match shape {
        Shape::String => string(unstructured)?,
        Shape::Number => number(unstructured)?,
        Shape::Boolean => Value::Bool(unstructured.arbitrary()?),
        Shape::Null => Value::Null,
        Shape::Literal(literal) => Value::from(literal.as_str()),
        Shape::Array(item) => {
            let mut items = Vec::new();
            if depth > 0 {
                for _ in 0..unstructured.int_in_range(0..=4u8)? {
                    items.push(generate(unstructured, item, depth - 1)?);
                }
            }
            Value::Array(items)
        }
        Shape::Object(fields) => {
            let mut map = Map::new();
            for (name, optional, field) in fields {
                let wanted = if *optional {
                    unstructured.arbitrary::<bool>()?
                } else {
                    !unstructured.ratio(1u8, 32)?
                };
                if wanted && depth > 0 {
                    map.insert(name.clone(), generate(unstructured, field, depth - 1)?);
                }
            }
            if unstructured.ratio(1u8, 32)? {
                map.insert(unstructured.arbitrary()?, any(unstructured, 0)?);
            }
            Value::Object(map)
        }
        Shape::Union(alternatives) => {
            let alternative = unstructured.choose(alternatives)?;
            generate(unstructured, alternative, depth)?
        }
        Shape::Named(name) => match shapes().get(name) {
            Some(named) if depth > 0 => generate(unstructured, named, depth - 1)?,
            _ => Value::Null,
        },
        Shape::Any => any(unstructured, depth.min(1))?,
    })
}

fn string(unstructured: &mut Unstructured) -> Result<Value> {
    Ok(if unstructured.arbitrary::<bool>()? {
        Value::from(*unstructured.choose(STRINGS)?)
    } else {
        Value::String(unstructured.arbitrary()?)
    })
}

/// Mostly integers that fit the u16/u32 fields, some that do not, and floats.
fn number(unstructured: &mut Unstructured) -> Result<Value> {
    Ok(match unstructured.int_in_range(0..=3u8)? {
        0 => Value::from(unstructured.arbitrary::<u16>()?),
        1 => Value::from(unstructured.arbitrary::<u32>()?),
        2 => Value::from(unstructured.arbitrary::<i64>()?),
        _ => serde_json::Number::from_f64(unstructured.arbitrary()?)
            .map_or(Value::Null, Value::Number),
    })
}

/// Any JSON value, nested at most `depth` deep.
pub fn any(unstructured: &mut Unstructured, depth: u32) -> Result<Value> {
    let kinds = if depth == 0 { 5 } else { 7 };
    Ok(match unstructured.int_in_range(0..=kinds - 1)? {
        0 => Value::Null,
        1 => Value::Bool(unstructured.arbitrary()?),
        2 => number(unstructured)?,
        3 | 4 => string(unstructured)?,
        5 => {
            let mut items = Vec::new();
            for _ in 0..unstructured.int_in_range(0..=3u8)? {
                items.push(any(unstructured, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..unstructured.int_in_range(0..=3u8)? {
                map.insert(unstructured.arbitrary()?, any(unstructured, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}
