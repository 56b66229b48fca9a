//! An image's own dev container configuration: the `devcontainer.metadata` label that images
//! made by the devcontainer CLI carry (the prebuilt `devcontainers/*` images among them): a JSON
//! array of config fragments, one per feature baked into the image and one for the config it
//! was built from. The CLI merges it with the repository's config (its `imageMetadata.ts`), and
//! so does Perry, with the same precedence: the image's entries in order, the config last.
//!
//! | key | merged |
//! |---|---|
//! | `remoteUser`, `containerUser` | the config's, else the last entry's that names one |
//! | `remoteEnv`, `containerEnv` | the entries' in order, the config's over them |
//! | the five lifecycle commands | each entry's, in order, before the features' and the config's |
//! | `forwardPorts`, `portsAttributes` labels | the entries' and the config's ports, once each; a label the config gives wins, else the last entry's |
//! | `id`, `customizations`, `init`, `privileged`, `capAdd`, `updateRemoteUserUID` | others' or given already |
//! | `securityOpt` | as in the config: listed unless Perry gives it |
//! | `entrypoint`, `mounts`, anything else | listed in the build log |
//!
//! A label that is not such JSON, or a value of the wrong type, is listed and left out, never
//! an error: the image is not the person's file to fix.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::config::{
    DevContainer, ForwardPort, HOOK_KEYS, HookCommand, Lifecycle, Reader, Unsupported,
    check_security_opt, join_key, parse_command, unsupported_why,
};

/// The label of an image that holds its metadata.
pub const LABEL: &str = "devcontainer.metadata";

/// Merges the metadata `label` of `image` into `config` (see the module's table).
pub fn merge_image_metadata(config: &mut DevContainer, image: &str, label: &str) {
    let entries = match serde_json::from_str::<Value>(label) {
        Ok(Value::Array(entries)) => entries,
        Ok(entry @ Value::Object(_)) => vec![entry],
        _ => {
            config.unsupported.push(Unsupported {
                key: LABEL.to_owned(),
                why: format!("the label of {image} is not an array of config objects"),
            });
            return;
        }
    };
    let mut merged = Merged::default();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("{LABEL}[{index}]");
        let Value::Object(entry) = entry else {
            config.unsupported.push(Unsupported {
                key: at,
                why: format!("an entry of {image}'s metadata that is not an object"),
            });
            continue;
        };
        merged.entry(entry, image, &at, &mut config.unsupported);
    }

    config.remote_user = config.remote_user.take().or(merged.remote_user);
    config.container_user = config.container_user.take().or(merged.container_user);
    merged.remote_env.append(&mut config.remote_env);
    config.remote_env = merged.remote_env;
    merged.container_env.append(&mut config.container_env);
    config.container_env = merged.container_env;
    for index in 0..HOOK_KEYS.len() {
        let mut hook = std::mem::take(merged.lifecycle.hook_mut(index));
        hook.append(config.lifecycle.hook_mut(index));
        *config.lifecycle.hook_mut(index) = hook;
    }
    let mut ports: Vec<ForwardPort> = merged
        .forward_ports
        .into_iter()
        .filter(|port| !config.forward_ports.iter().any(|own| own.port == port.port))
        .collect();
    ports.append(&mut config.forward_ports);
    for port in &mut ports {
        if port.label.is_none() {
            port.label = merged.labels.get(&port.port).cloned();
        }
    }
    config.forward_ports = ports;
}

/// What the image's entries say, merged in order.
#[derive(Default)]
struct Merged {
    remote_user: Option<String>,
    container_user: Option<String>,
    remote_env: BTreeMap<String, Option<String>>,
    container_env: BTreeMap<String, String>,
    lifecycle: Lifecycle,
    forward_ports: Vec<ForwardPort>,
    /// `portsAttributes` labels by port (a port or `localhost:port`), the last entry's winning.
    labels: BTreeMap<u16, String>,
}

impl Merged {
    fn entry(
        &mut self,
        entry: &Map<String, Value>,
        image: &str,
        at: &str,
        unsupported: &mut Vec<Unsupported>,
    ) {
        let origin = match entry.get("id").and_then(Value::as_str) {
            Some(id) => format!("Feature '{id}'"),
            None => "image metadata".to_owned(),
        };
        let file = format!("{image}'s {at}");
        let reader = Reader { file: &file };
        let mut left_out = |key: &str, why: String| {
            unsupported.push(Unsupported {
                key: join_key(at, key),
                why,
            });
        };
        for (key, value) in entry {
            let key = key.as_str();
            if let Some(index) = HOOK_KEYS.iter().position(|hook| *hook == key) {
                match parse_command(value) {
                    Ok(Some(command)) => self.lifecycle.hook_mut(index).push(HookCommand {
                        origin: origin.clone(),
                        command,
                    }),
                    Ok(None) => {}
                    Err(why) => left_out(key, why),
                }
                continue;
            }
            let read = match key {
                "remoteUser" => reader.user(key, value).map(|user| {
                    self.remote_user = user.or(self.remote_user.take());
                }),
                "containerUser" => reader.user(key, value).map(|user| {
                    self.container_user = user.or(self.container_user.take());
                }),
                "remoteEnv" => reader
                    .remote_env(value)
                    .map(|mut env| self.remote_env.append(&mut env)),
                "containerEnv" => reader
                    .env_map(key, value)
                    .map(|mut env| self.container_env.append(&mut env)),
                "forwardPorts" => {
                    let mut ports = Vec::new();
                    let mut outside = Vec::new();
                    let read = reader
                        .forward_ports(entry, &mut outside)
                        .map(|read| ports = read);
                    for port in ports {
                        if !self
                            .forward_ports
                            .iter()
                            .any(|known| known.port == port.port)
                        {
                            self.forward_ports.push(port);
                        }
                    }
                    for item in outside {
                        left_out(&item.key, item.why);
                    }
                    read
                }
                "portsAttributes" => {
                    for (port, attributes) in value.as_object().into_iter().flatten() {
                        let port = port.strip_prefix("localhost:").unwrap_or(port);
                        if let (Ok(port), Some(label)) = (
                            port.parse::<u16>(),
                            attributes.get("label").and_then(Value::as_str),
                        ) {
                            self.labels.insert(port, label.to_owned());
                        }
                    }
                    Ok(())
                }
                // Read with forwardPorts; others' or given already.
                "otherPortsAttributes"
                | "id"
                | "name"
                | "customizations"
                | "init"
                | "privileged"
                | "capAdd"
                | "updateRemoteUserUID" => Ok(()),
                "securityOpt" => {
                    let mut listed = Vec::new();
                    check_security_opt(key, value, &mut listed);
                    for item in listed {
                        left_out(&item.key, item.why);
                    }
                    Ok(())
                }
                "entrypoint" => {
                    left_out(
                        key,
                        "a feature's entrypoint is not run: Perry's own starts the workspace (its Docker daemon, SSH)".to_owned(),
                    );
                    Ok(())
                }
                "mounts" => {
                    left_out(
                        key,
                        "mounts of an image's metadata are not made; name them in devcontainer.json".to_owned(),
                    );
                    Ok(())
                }
                other => {
                    left_out(other, unsupported_why(other, value));
                    Ok(())
                }
            };
            if let Err(error) = read {
                left_out(key, format!("{error}; left out"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devcontainer::{ConfigFiles, Variables, parse};

    fn config(json: &str) -> DevContainer {
        let files = ConfigFiles::from([(
            ".devcontainer/devcontainer.json".to_owned(),
            json.as_bytes().to_vec(),
        )]);
        let variables = Variables {
            local_env: Default::default(),
            local_workspace_folder: "/home/workspace/app".to_owned(),
            container_workspace_folder: "/home/workspace/app".to_owned(),
        };
        parse(&files, ".devcontainer/devcontainer.json", &variables).unwrap()
    }

    fn origins(hooks: &[HookCommand]) -> Vec<&str> {
        hooks.iter().map(|hook| hook.origin.as_str()).collect()
    }

    /// The label of a typical prebuilt image: a feature's entry, then the image's own config.
    const LABEL_OF_AN_IMAGE: &str = r#"[
        {"id": "ghcr.io/devcontainers/features/common-utils:2", "postCreateCommand": "echo utils",
         "remoteEnv": {"A": "from the feature", "B": "from the feature"}},
        {"remoteUser": "node", "containerEnv": {"NODE_ENV": "development"},
         "forwardPorts": [3000, 9229], "portsAttributes": {"3000": {"label": "app"}},
         "postStartCommand": ["echo", "started"], "entrypoint": "/usr/local/share/docker-init.sh",
         "customizations": {"vscode": {"extensions": ["dbaeumer.vscode-eslint"]}}}
    ]"#;

    #[test]
    fn the_images_entries_come_first_and_the_config_wins() {
        let mut own = config(
            r#"{"image": "node-dev", "remoteEnv": {"B": "from the config"},
                "postCreateCommand": "echo mine", "forwardPorts": [3000],
                "portsAttributes": {"3000": {"label": "mine"}}}"#,
        );
        merge_image_metadata(&mut own, "node-dev", LABEL_OF_AN_IMAGE);
        assert_eq!(own.remote_user.as_deref(), Some("node"));
        assert_eq!(
            own.remote_env,
            BTreeMap::from([
                ("A".to_owned(), Some("from the feature".to_owned())),
                ("B".to_owned(), Some("from the config".to_owned())),
            ])
        );
        assert_eq!(own.container_env["NODE_ENV"], "development");
        assert_eq!(
            origins(&own.lifecycle.post_create),
            [
                "Feature 'ghcr.io/devcontainers/features/common-utils:2'",
                "devcontainer.json"
            ]
        );
        assert_eq!(origins(&own.lifecycle.post_start), ["image metadata"]);
        let ports: Vec<(u16, Option<&str>)> = own
            .forward_ports
            .iter()
            .map(|port| (port.port, port.label.as_deref()))
            .collect();
        assert_eq!(ports, [(9229, None), (3000, Some("mine"))]);
        // A port of both without a label of the config's keeps the image's.
        let mut unlabelled = config(r#"{"image": "node-dev", "forwardPorts": [3000]}"#);
        merge_image_metadata(&mut unlabelled, "node-dev", LABEL_OF_AN_IMAGE);
        let labelled = unlabelled
            .forward_ports
            .iter()
            .find(|port| port.port == 3000);
        assert_eq!(labelled.unwrap().label.as_deref(), Some("app"));
        let listed: Vec<&str> = own
            .unsupported
            .iter()
            .map(|item| item.key.as_str())
            .collect();
        assert_eq!(listed, ["devcontainer.metadata[1].entrypoint"]);
    }

    #[test]
    fn the_configs_own_user_wins_over_the_images() {
        let mut own = config(r#"{"image": "node-dev", "remoteUser": "vscode"}"#);
        merge_image_metadata(&mut own, "node-dev", LABEL_OF_AN_IMAGE);
        assert_eq!(own.remote_user.as_deref(), Some("vscode"));
        // The last entry naming one wins among the image's.
        let mut own = config(r#"{"image": "x"}"#);
        merge_image_metadata(
            &mut own,
            "x",
            r#"[{"containerUser": "a"}, {"containerUser": "b"}, {}]"#,
        );
        assert_eq!(own.container_user.as_deref(), Some("b"));
    }

    #[test]
    fn a_label_perry_cannot_read_is_listed_never_an_error() {
        for label in ["not json", "42", "[1]", r#"[{"remoteUser": 7}]"#] {
            let mut own = config(r#"{"image": "x", "remoteUser": "vscode"}"#);
            merge_image_metadata(&mut own, "x", label);
            assert_eq!(own.remote_user.as_deref(), Some("vscode"), "{label}");
            assert_eq!(own.unsupported.len(), 1, "{label}: {:?}", own.unsupported);
            assert!(own.unsupported[0].key.starts_with(LABEL), "{label}");
        }
        // A single object is taken as one entry, as the CLI takes it.
        let mut own = config(r#"{"image": "x"}"#);
        merge_image_metadata(&mut own, "x", r#"{"remoteUser": "dev"}"#);
        assert_eq!(own.remote_user.as_deref(), Some("dev"));
    }
}
