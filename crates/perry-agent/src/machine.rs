//! What the agent's own machine has free now, from `/proc`: for `agent.info`'s capacity when
//! workspaces run on this machine (a local Docker Engine).

/// Free memory and load of this machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineLoad {
    /// `MemAvailable`, in MiB.
    pub memory_available_mb: u64,
    /// The load average over one minute.
    pub load1: f64,
}

/// This machine's load, or `None` where `/proc` does not tell it.
pub fn load() -> Option<MachineLoad> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(MachineLoad {
        memory_available_mb: mem_available_kb(&meminfo)? / 1024,
        load1: loadavg.split_whitespace().next()?.parse().ok()?,
    })
}

/// `MemAvailable` of a `/proc/meminfo`, in kB.
fn mem_available_kb(meminfo: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        line.strip_prefix("MemAvailable:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_available_is_read_in_kb() {
        let meminfo = "MemTotal:       24684852 kB\nMemFree:         1042276 kB\nMemAvailable:   23136920 kB\n";
        assert_eq!(mem_available_kb(meminfo), Some(23_136_920));
        assert_eq!(mem_available_kb("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn this_machine_tells_its_load() {
        let load = load().expect("/proc/meminfo and /proc/loadavg on Linux");
        assert!(load.memory_available_mb > 0);
        assert!(load.load1 >= 0.0);
    }
}
