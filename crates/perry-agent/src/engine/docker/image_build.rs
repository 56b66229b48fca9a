//! Building the `workspace-base` image through the Engine API.
//!
//! The Dockerfile and entrypoint are compiled into the binary, so `perry build` works from any
//! directory. The host's extra CA certificates go into the build context: behind a
//! TLS-inspecting proxy, `npm install` inside the build (and inside workspaces) needs them.

use std::collections::HashMap;
use std::path::Path;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::{Docker, Engine, EngineError};
use crate::engine::ImageBuildSpec;

const DOCKERFILE: &str = include_str!("../../../../../image/Dockerfile");
const ENTRYPOINT: &str = include_str!("../../../../../image/entrypoint.sh");
/// Where Debian keeps certificates added by the administrator.
const HOST_EXTRA_CA_DIR: &str = "/usr/local/share/ca-certificates";
/// The image label that records which inputs an image was built from.
pub const IMAGE_HASH_LABEL: &str = "dev.perry.image-hash";

/// One build of the workspace image.
#[derive(Debug, Clone)]
pub struct ImageBuild {
    pub tag: String,
    /// The `FROM` image, e.g. `debian:bookworm`.
    pub base_image: String,
    pub no_cache: bool,
    /// The host's extra CA certificates: file name → PEM.
    pub ca_certificates: Vec<(String, Vec<u8>)>,
}

/// One line of build output.
#[derive(Debug, Clone)]
pub enum BuildProgress {
    Step(String),
    Output(String),
}

impl ImageBuild {
    /// A build of `tag` from `base_image` with the host's extra CA certificates.
    pub fn new(tag: &str, base_image: &str) -> std::io::Result<ImageBuild> {
        Ok(ImageBuild {
            tag: tag.to_owned(),
            base_image: base_image.to_owned(),
            no_cache: false,
            ca_certificates: host_ca_certificates()?,
        })
    }

    /// A digest of every input of the build: equal digests give equal images.
    pub fn input_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [
            DOCKERFILE.as_bytes(),
            ENTRYPOINT.as_bytes(),
            self.base_image.as_bytes(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        for (name, pem) in &self.ca_certificates {
            hasher.update(name.as_bytes());
            hasher.update(pem);
        }
        hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    fn context_tar(&self) -> std::io::Result<Vec<u8>> {
        let mut archive = tar::Builder::new(Vec::new());
        let mut add = |path: &str, contents: &[u8], mode: u32| {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(mode);
            header.set_mtime(0);
            archive.append_data(&mut header, path, contents)
        };
        add("Dockerfile", DOCKERFILE.as_bytes(), 0o644)?;
        add("entrypoint.sh", ENTRYPOINT.as_bytes(), 0o755)?;
        add("ca-certificates/.keep", b"", 0o644)?;
        for (name, pem) in &self.ca_certificates {
            add(&format!("ca-certificates/{name}"), pem, 0o644)?;
        }
        archive.into_inner()
    }
}

/// The host's extra CA certificates (`*.crt` of the administrator's directory), by name: what
/// the workspace image and Perry's layer on a devcontainer image both trust.
pub fn host_ca_certificates() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    read_ca_certificates(Path::new(HOST_EXTRA_CA_DIR))
}

fn read_ca_certificates(dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut certificates = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if path.is_file() && name.ends_with(".crt") {
            certificates.push((name.to_owned(), std::fs::read(&path)?));
        }
    }
    certificates.sort();
    Ok(certificates)
}

impl Docker {
    /// Whether `build.tag` exists and was built from exactly these inputs.
    pub async fn image_is_current(&self, build: &ImageBuild) -> Result<bool, EngineError> {
        let label = self.image_label(&build.tag, IMAGE_HASH_LABEL).await?;
        Ok(label.as_deref() == Some(build.input_hash().as_str()))
    }

    /// Builds the workspace image, reporting each line of output to `progress`.
    pub async fn build_image(
        &self,
        build: &ImageBuild,
        mut progress: impl FnMut(BuildProgress),
    ) -> Result<(), EngineError> {
        let context = build.context_tar().map_err(|error| {
            EngineError::Failed(format!("cannot pack the build context: {error}"))
        })?;
        let spec = ImageBuildSpec {
            tag: build.tag.clone(),
            context,
            dockerfile: "Dockerfile".to_owned(),
            args: HashMap::from([("BASE_IMAGE".to_owned(), build.base_image.clone())]),
            target: None,
            cache_from: Vec::new(),
            labels: HashMap::from([(IMAGE_HASH_LABEL.to_owned(), build.input_hash())]),
        };
        self.build_from_context(&spec, build.no_cache, |line| {
            if line.starts_with("Step ") {
                progress(BuildProgress::Step(line.to_owned()));
            } else {
                progress(BuildProgress::Output(line.to_owned()));
            }
        })
        .await?;
        Ok(())
    }

    /// Builds `spec` with the classic builder, each non-empty line of output to `on_line`;
    /// returns the image's id.
    pub(super) async fn build_from_context(
        &self,
        spec: &ImageBuildSpec,
        no_cache: bool,
        mut on_line: impl FnMut(&str),
    ) -> Result<String, EngineError> {
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&spec.dockerfile)
            .t(&spec.tag)
            .rm(true)
            .forcerm(true)
            .nocache(no_cache)
            .buildargs(&spec.args)
            .labels(&spec.labels);
        if let Some(target) = &spec.target {
            options = options.target(target);
        }
        if !spec.cache_from.is_empty() {
            options = options.cachefrom(&spec.cache_from);
        }
        let client = self.client().await?;
        let mut stream = client.build_image(
            options.build(),
            None,
            Some(bollard::body_full(spec.context.clone().into())),
        );
        let mut id = None;
        while let Some(item) = stream.next().await {
            let info = item.map_err(EngineError::from)?;
            if let Some(detail) = info.error_detail {
                return Err(EngineError::Failed(
                    detail
                        .message
                        .unwrap_or_else(|| "the image build failed".to_owned()),
                ));
            }
            if let Some(text) = info.stream {
                for line in text.lines().filter(|line| !line.trim().is_empty()) {
                    on_line(line);
                }
            }
            if let Some(aux) = info.aux {
                id = aux.id.or(id);
            }
        }
        match id {
            Some(id) => Ok(id),
            // The classic builder names the image in its last line only on old engines.
            None => Ok(self
                .image_id(&spec.tag)
                .await?
                .unwrap_or_else(|| spec.tag.clone())),
        }
    }

    /// The id of an image, if it exists.
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        Ok(Engine::image_info(self, image).await?.map(|info| info.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_hash_changes_with_base_image_and_certificates() {
        let plain = ImageBuild {
            tag: "t".into(),
            base_image: "debian:bookworm".into(),
            no_cache: false,
            ca_certificates: Vec::new(),
        };
        let other_base = ImageBuild {
            base_image: "debian:trixie".into(),
            ..plain.clone()
        };
        let with_ca = ImageBuild {
            ca_certificates: vec![("a.crt".into(), b"pem".to_vec())],
            ..plain.clone()
        };
        assert_ne!(plain.input_hash(), other_base.input_hash());
        assert_ne!(plain.input_hash(), with_ca.input_hash());
        assert_eq!(plain.input_hash(), plain.clone().input_hash());
    }

    #[test]
    fn context_holds_dockerfile_entrypoint_and_certificates() {
        let build = ImageBuild {
            tag: "t".into(),
            base_image: "debian:bookworm".into(),
            no_cache: false,
            ca_certificates: vec![("corp.crt".into(), b"pem".to_vec())],
        };
        let bytes = build.context_tar().unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                entry
                    .unwrap()
                    .path()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "Dockerfile",
                "entrypoint.sh",
                "ca-certificates/.keep",
                "ca-certificates/corp.crt"
            ]
        );
    }
}
