//! A network namespace for an agent, as if on another machine: its own address on a veth pair
//! with the root namespace, where the clients run. Its link can be cut (`ip link set … down`) or
//! black-holed (packets dropped, never refused), and restored.
//!
//! The agent in it shares this machine's dockerd (through the Unix socket, which no namespace
//! hides). Two things make that work as on a machine of its own:
//! - the workspaces' SSH ports are published on the root namespace; the agent checks them on
//!   127.0.0.1, which in the namespace is sent (DNAT, with `route_localnet`) to the root end of
//!   the veth;
//! - its workspaces' container addresses (the worker channel) are routed through the root end,
//!   and Docker's forwarding rules let the veth through (`DOCKER-USER`).
//!
//! Its link can also be made slow (delay and loss) for a client in the root namespace: see
//! [`crate::slow_link`].
//!
//! Everything is removed on drop, also after a failed assertion.

use std::process::Command;

use rand::Rng as _;

/// One namespace with its veth pair and rules.
pub struct Namespace {
    pub name: String,
    /// The root namespace's end: what the agent's 127.0.0.1 ports go to.
    pub host_ip: String,
    /// The agent's address, reachable from the root namespace.
    pub agent_ip: String,
    root_if: String,
    inner_if: String,
    /// What every name and address follows from.
    id: u16,
}

pub(crate) fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|error| format!("{program}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

impl Namespace {
    /// A new namespace named after `tag`, on a random /30 of 10.231.0.0/16.
    pub fn create(tag: &str) -> Result<Namespace, String> {
        let id: u16 = rand::rng().random_range(0..0x4000);
        let namespace = Namespace::of(tag, id);
        // On a failure, whatever was made before it goes with `namespace` (dropped).
        namespace.set_up()?;
        Ok(namespace)
    }

    /// The namespace `create` makes for `tag` and `id`: every name and address follows from
    /// them.
    fn of(tag: &str, id: u16) -> Namespace {
        let (third, fourth) = (id >> 6, (id & 0x3f) * 4);
        let suffix = format!("{id:04x}");
        Namespace {
            name: format!("perry-{tag}-{suffix}"),
            host_ip: format!("10.231.{third}.{}", fourth + 1),
            agent_ip: format!("10.231.{third}.{}", fourth + 2),
            root_if: format!("pv{suffix}h"),
            inner_if: format!("pv{suffix}n"),
            id,
        }
    }

    /// The third and fourth octets of this namespace's /30 (of 10.231.0.0/16 for the veth pair;
    /// other links to it use the same block of another /16).
    pub(crate) fn address_block(&self) -> (u16, u16) {
        (self.id >> 6, (self.id & 0x3f) * 4)
    }

    /// The hex suffix of its names, for interfaces of other links to it.
    pub(crate) fn suffix(&self) -> String {
        format!("{:04x}", self.id)
    }

    /// The namespace `create` made under `name` (another process's, e.g. `perry-netns`'s),
    /// removed when this is dropped.
    pub fn named(name: &str) -> Result<Namespace, String> {
        let (tag, suffix) = name
            .strip_prefix("perry-")
            .and_then(|rest| rest.rsplit_once('-'))
            .ok_or_else(|| format!("{name} is not a namespace perry-netns made"))?;
        let id = u16::from_str_radix(suffix, 16)
            .map_err(|_| format!("{name} is not a namespace perry-netns made"))?;
        Ok(Namespace::of(tag, id))
    }

    /// Leaves the namespace in place when this is dropped (another process removes it).
    pub fn keep(self) {
        std::mem::forget(self);
    }

    fn set_up(&self) -> Result<(), String> {
        let (ns, host, agent) = (&self.name, &self.host_ip, &self.agent_ip);
        let (root_if, inner_if) = (&self.root_if, &self.inner_if);
        run("ip", &["netns", "add", ns])?;
        run(
            "ip",
            &[
                "link", "add", root_if, "type", "veth", "peer", "name", inner_if,
            ],
        )?;
        run("ip", &["link", "set", inner_if, "netns", ns])?;
        run(
            "ip",
            &["addr", "add", &format!("{host}/30"), "dev", root_if],
        )?;
        run("ip", &["link", "set", root_if, "up"])?;
        self.exec(&["ip", "addr", "add", &format!("{agent}/30"), "dev", inner_if])?;
        self.exec(&["ip", "link", "set", "lo", "up"])?;
        self.link_up()?;
        self.exec(&["sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"])?;
        self.exec(&[
            "iptables",
            "-t",
            "nat",
            "-A",
            "OUTPUT",
            "-d",
            "127.0.0.1/32",
            "-p",
            "tcp",
            "-j",
            "DNAT",
            "--to-destination",
            host,
        ])?;
        self.exec(&[
            "iptables",
            "-t",
            "nat",
            "-A",
            "POSTROUTING",
            "-s",
            "127.0.0.1/32",
            "-o",
            inner_if,
            "-j",
            "SNAT",
            "--to-source",
            agent,
        ])?;
        for direction in ["-i", "-o"] {
            run(
                "iptables",
                &["-I", "DOCKER-USER", direction, root_if, "-j", "ACCEPT"],
            )?;
        }
        Ok(())
    }

    /// Runs `args` in the namespace.
    pub fn exec(&self, args: &[&str]) -> Result<(), String> {
        let mut all = vec!["netns", "exec", &self.name];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// `program` to run in the namespace (its arguments are added by the caller).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// Cuts the agent's link: its end of the veth goes down.
    pub fn cut(&self) -> Result<(), String> {
        self.exec(&["ip", "link", "set", &self.inner_if, "down"])
    }

    /// Brings the link back (with the route the kernel dropped with it).
    pub fn link_up(&self) -> Result<(), String> {
        self.exec(&["ip", "link", "set", &self.inner_if, "up"])?;
        self.exec(&["ip", "route", "replace", "default", "via", &self.host_ip])
    }

    /// Drops every packet to the agent's `port`: connections neither open nor are refused, and
    /// open ones hear nothing more.
    pub fn black_hole(&self, port: u16) -> Result<(), String> {
        self.exec(&[
            "iptables",
            "-I",
            "INPUT",
            "-p",
            "tcp",
            "--dport",
            &port.to_string(),
            "-j",
            "DROP",
        ])
    }

    /// Undoes [`Namespace::black_hole`].
    pub fn unblock(&self, port: u16) -> Result<(), String> {
        self.exec(&[
            "iptables",
            "-D",
            "INPUT",
            "-p",
            "tcp",
            "--dport",
            &port.to_string(),
            "-j",
            "DROP",
        ])
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        for direction in ["-i", "-o"] {
            let _ = run(
                "iptables",
                &[
                    "-D",
                    "DOCKER-USER",
                    direction,
                    &self.root_if,
                    "-j",
                    "ACCEPT",
                ],
            );
        }
        let _ = run("ip", &["link", "del", &self.root_if]);
        let _ = run("ip", &["netns", "del", &self.name]);
    }
}
