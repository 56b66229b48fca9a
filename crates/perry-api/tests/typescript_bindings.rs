//! The checked-in TypeScript types must be exactly what the Rust types generate.
//! Regenerate with `make ts-types` after changing a wire type.

use std::path::PathBuf;

fn bindings_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../clients/ts/src/api.gen.ts")
}

#[test]
fn checked_in_typescript_types_match_the_rust_types() {
    let generated = perry_api::typescript_bindings();
    let path = bindings_path();
    if std::env::var_os("PERRY_UPDATE_TS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is out of date with crates/perry-api; run `make ts-types` and commit the result",
        path.display()
    );
}

#[test]
fn every_type_named_by_a_procedure_is_declared() {
    let generated = perry_api::typescript_bindings();
    for procedure in perry_api::procedures::procedure_types() {
        for type_name in [&procedure.input, &procedure.output] {
            let base = type_name
                .strip_prefix("Array<")
                .and_then(|inner| inner.strip_suffix('>'))
                .unwrap_or(type_name);
            if ["void", "unknown"].contains(&base) {
                continue;
            }
            assert!(
                generated.contains(&format!("type {base} ")),
                "{} names {base}, which has no TypeScript declaration",
                procedure.path
            );
        }
    }
}
