//! Resource limits of workspace containers: what a create asks for, over `limits` in
//! config.json, over Perry's own defaults. Checked before anything is made; the Docker adapter
//! turns them into the container's HostConfig, and a recreated container gets them again from
//! the workspace's record.

use perry_api::WorkspaceLimits;

/// Perry's defaults where config.json's `limits` says nothing. Processes are limited, so a fork
/// bomb (in the workspace or in one of its inner containers, which live in its cgroup) stops at
/// 8192 tasks instead of taking the host's pid space (32768 on most machines); a heavy build,
/// an inner dockerd with a dozen containers and a browser stay far below that. CPU and memory
/// are not limited: builds should have every core, and a memory limit that suits one machine
/// gets a compiler OOM-killed on another; set them in config.json for a shared host.
pub const DEFAULT_LIMITS: WorkspaceLimits = WorkspaceLimits {
    cpus: None,
    memory_mb: None,
    pids: Some(8192),
};

/// Below this a workspace does not get through its start (a tenth of a CPU for dockerd,
/// containerd, sshd and the worker).
pub const MIN_CPUS: f64 = 0.1;
/// An idle workspace (its dockerd, containerd, sshd and worker) takes about 40 MiB, but its
/// dockerd loading an image, git, or a language server take hundreds more; below this the
/// OOM killer ends the workspace's own services.
pub const MIN_MEMORY_MB: u32 = 512;
/// An idle workspace runs about 30 tasks (threads count), an inner container a dozen more.
pub const MIN_PIDS: u32 = 256;

/// What the Docker host has, as its daemon reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostResources {
    pub cpus: u32,
    pub memory_mb: u64,
}

/// Checks each given value on its own; `0` (no limit) always passes.
pub fn check_limits(limits: &WorkspaceLimits) -> Result<(), String> {
    if let Some(cpus) = limits.cpus
        && cpus != 0.0
        && !(cpus.is_finite() && cpus >= MIN_CPUS)
    {
        return Err(format!(
            "cpus must be at least {MIN_CPUS} (or 0 for no limit), not {cpus}"
        ));
    }
    if let Some(memory_mb) = limits.memory_mb
        && memory_mb != 0
        && memory_mb < MIN_MEMORY_MB
    {
        return Err(format!(
            "memoryMb must be at least {MIN_MEMORY_MB} (MiB: the workspace's own Docker daemon needs room), or 0 for no limit, not {memory_mb}"
        ));
    }
    if let Some(pids) = limits.pids
        && pids != 0
        && pids < MIN_PIDS
    {
        return Err(format!(
            "pids must be at least {MIN_PIDS} (an idle workspace already runs about 30 processes and threads), or 0 for no limit, not {pids}"
        ));
    }
    Ok(())
}

/// Checks the given values against what the Docker host has: a limit above it is a typo, since
/// it could never bind.
pub fn check_against_host(limits: &WorkspaceLimits, host: &HostResources) -> Result<(), String> {
    if let Some(cpus) = limits.cpus
        && cpus > f64::from(host.cpus)
    {
        return Err(format!(
            "cpus {cpus} is more than the {} CPUs of the Docker host",
            host.cpus
        ));
    }
    if let Some(memory_mb) = limits.memory_mb
        && u64::from(memory_mb) > host.memory_mb
    {
        return Err(format!(
            "memoryMb {memory_mb} is more than the {} MiB of memory of the Docker host",
            host.memory_mb
        ));
    }
    Ok(())
}

/// The defaults a new workspace gets where its create names no limit: config.json's `limits`
/// over [`DEFAULT_LIMITS`].
pub fn default_limits(configured: WorkspaceLimits) -> WorkspaceLimits {
    configured.or(DEFAULT_LIMITS)
}

/// The limits a workspace gets, `0`s dropped, and the part of them that came from the defaults
/// (so an error can say where a value came from). Nothing here asks Docker.
pub fn merge(
    requested: WorkspaceLimits,
    defaults: WorkspaceLimits,
) -> (WorkspaceLimits, WorkspaceLimits) {
    let effective = requested.or(defaults).without_zeros();
    let inherited = WorkspaceLimits {
        cpus: requested.cpus.is_none().then_some(effective.cpus).flatten(),
        memory_mb: requested
            .memory_mb
            .is_none()
            .then_some(effective.memory_mb)
            .flatten(),
        pids: requested.pids.is_none().then_some(effective.pids).flatten(),
    };
    (effective, inherited)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: HostResources = HostResources {
        cpus: 2,
        memory_mb: 4096,
    };

    fn limits(cpus: Option<f64>, memory_mb: Option<u32>, pids: Option<u32>) -> WorkspaceLimits {
        WorkspaceLimits {
            cpus,
            memory_mb,
            pids,
        }
    }

    #[test]
    fn values_in_range_and_zeros_pass() {
        for good in [
            WorkspaceLimits::default(),
            limits(Some(0.1), Some(512), Some(256)),
            limits(Some(0.0), Some(0), Some(0)),
            limits(Some(2.0), Some(4096), Some(u32::MAX)),
        ] {
            assert_eq!(check_limits(&good), Ok(()), "{good:?}");
            assert_eq!(check_against_host(&good, &HOST), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn values_out_of_range_say_which_and_why() {
        for (bad, expected) in [
            (limits(Some(0.05), None, None), "cpus must be at least 0.1"),
            (limits(Some(-1.0), None, None), "cpus must be at least 0.1"),
            (limits(Some(f64::NAN), None, None), "cpus must be at least"),
            (
                limits(Some(f64::INFINITY), None, None),
                "cpus must be at least",
            ),
            (
                limits(None, Some(511), None),
                "memoryMb must be at least 512",
            ),
            (limits(None, None, Some(10)), "pids must be at least 256"),
        ] {
            let error = check_limits(&bad).unwrap_err();
            assert!(error.contains(expected), "{bad:?}: {error}");
        }
        for (bad, expected) in [
            (limits(Some(2.5), None, None), "more than the 2 CPUs"),
            (limits(None, Some(4097), None), "more than the 4096 MiB"),
        ] {
            let error = check_against_host(&bad, &HOST).unwrap_err();
            assert!(error.contains(expected), "{bad:?}: {error}");
        }
    }

    #[test]
    fn a_create_overrides_the_defaults_field_by_field_and_zero_lifts_one() {
        let defaults = default_limits(limits(Some(1.0), None, None));
        assert_eq!(defaults, limits(Some(1.0), None, Some(8192)));
        let (effective, inherited) = merge(limits(None, Some(1024), Some(0)), defaults);
        assert_eq!(effective, limits(Some(1.0), Some(1024), None));
        assert_eq!(inherited, limits(Some(1.0), None, None));
        let (effective, _) = merge(
            WorkspaceLimits::default(),
            default_limits(limits(None, None, Some(0))),
        );
        assert!(effective.is_empty(), "{effective:?}");
    }
}
