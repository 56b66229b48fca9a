//! `perry build`: builds the workspace image through this machine's Docker Engine API.

use perry_agent::engine::Engine as _;
use perry_agent::engine::docker::{BuildProgress, Docker, ImageBuild};
use perry_agent::state::ConfigFile;

use super::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image to build FROM.
    #[arg(long, default_value = "debian:bookworm")]
    base_image: String,
    /// Tag of the image (default: imageTag from the agent's config.json).
    #[arg(long)]
    tag: Option<String>,
    /// Do not use Docker's build cache.
    #[arg(long)]
    no_cache: bool,
    /// Build only when the image is missing or was built from other inputs.
    #[arg(long)]
    if_changed: bool,
    /// Print every line of build output, not only the steps.
    #[arg(long, short)]
    verbose: bool,
}

pub async fn run(context: &Context, args: Args) -> anyhow::Result<()> {
    let tag = match args.tag {
        Some(tag) => tag,
        None => {
            ConfigFile::read(&context.config_dir)?
                .unwrap_or_default()
                .image_tag
        }
    };
    let mut build = ImageBuild::new(&tag, &args.base_image)?;
    build.no_cache = args.no_cache;
    let docker = Docker::new();
    if args.if_changed && docker.image_is_current(&build).await? {
        println!("Image {tag} is up to date.");
        return Ok(());
    }
    if !docker.image_exists(&args.base_image).await? {
        anyhow::bail!(
            "the base image {} is not on this Docker host; pull it (`docker pull {0}`) or, without a registry, run scripts/seed-base-image.sh",
            args.base_image
        );
    }
    println!(
        "Building {tag} from {} with {} extra CA certificate(s)…",
        args.base_image,
        build.ca_certificates.len()
    );
    let started = std::time::Instant::now();
    let verbose = args.verbose;
    docker
        .build_image(&build, |progress| match progress {
            BuildProgress::Step(step) => println!("{step}"),
            BuildProgress::Output(line) if verbose => println!("  {line}"),
            BuildProgress::Output(_) => {}
        })
        .await?;
    println!("Built {tag} in {:.0} s.", started.elapsed().as_secs_f64());
    Ok(())
}
