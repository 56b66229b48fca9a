//! The agent's modules form layers: no module reaches, through `crate::…` paths, a module that
//! reaches it back. (The crate root's `Agent`, which the request handlers take, is not a module.)
//! A shared piece belongs below both users, e.g. `limits` under `state`, `engine` and
//! `workspace`, or in `perry_api` (the worker's path inside a workspace).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every top-level module of the agent with the modules its source names through `crate::`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![source.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
            continue;
        }
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let relative = path.strip_prefix(&source).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        // Code only: a doc link to another module is not a dependency on it.
        let text: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let names = graph.entry(module.clone()).or_default();
        for (index, _) in text.match_indices("crate::") {
            let after = &text[index + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|character| character.is_ascii_lowercase() || *character == '_')
                .collect();
            if !name.is_empty() && name != module {
                names.insert(name);
            }
        }
    }
    // Only modules: `crate::host_name` and the like are items of the crate root.
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for names in graph.values_mut() {
        names.retain(|name| modules.contains(name));
    }
    graph
}

#[test]
fn no_module_reaches_a_module_that_reaches_it_back() {
    let graph = module_graph();
    assert!(graph.contains_key("workspace") && graph.contains_key("engine"));
    let reachable = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.to_owned()];
        while let Some(module) = stack.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let cycles: Vec<String> = graph
        .keys()
        .filter(|module| module.as_str() != "lib" && reachable(module).contains(*module))
        .map(|module| format!("{module} → … → {module} (names {:?})", graph[module]))
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}
