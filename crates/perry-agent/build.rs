//! Points the embedded web UI at `web/dist` when it has been built (`make build` builds it first),
//! else at a one-page placeholder that says how to build it, so the agent always compiles.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = manifest.join("../../web");
    let dist = web.join("dist");
    let folder = if dist.join("index.html").is_file() {
        println!("cargo:rerun-if-changed={}", dist.display());
        dist.canonicalize().expect("web/dist exists")
    } else {
        // Watch web/ as a whole so that a later `npm run build` replaces the placeholder.
        if web.is_dir() {
            println!("cargo:rerun-if-changed={}", web.display());
        }
        let placeholder =
            PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("web-not-built");
        std::fs::create_dir_all(&placeholder).expect("OUT_DIR is writable");
        std::fs::write(
            placeholder.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Perry</title>\
             <p>This Perry binary was built without its web UI. Run <code>make build</code>.</p>\n",
        )
        .expect("OUT_DIR is writable");
        placeholder
    };
    println!("cargo:rustc-env=PERRY_WEB_DIST={}", folder.display());
}
