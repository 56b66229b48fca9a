//! A slow link between the root namespace and a [`Namespace`]: a second point-to-point link of
//! its own (besides the namespace's veth pair) that delays every packet by half a round trip in
//! each direction and drops some, as a long-distance connection does. A client in the root
//! namespace reaches an agent in the namespace over it at [`SlowLink::agent_ip`]; so the two
//! namespaces are joined by this link, and only the client's traffic is slowed down.
//!
//! Why a link of its own rather than delaying the veth pair: the agent reaches its workspaces'
//! containers (the worker channel) through the veth's root end, and in a real deployment those
//! containers sit next to the agent. Delaying the veth would slow that hop too and double every
//! keystroke's round trip.
//!
//! Two ways to make it, the first that works:
//! - **netem** (Debian's iproute2 `tc`): a veth pair with `tc qdisc replace dev <end> root
//!   netem delay <half the round trip> loss <per direction>` on both ends;
//! - **a userspace emulator** where the kernel has no netem (`CONFIG_NET_SCH_NETEM` is not set in
//!   the VM kernel Perry is tested on, which refuses it with "Specified qdisc kind is unknown"):
//!   a TUN device at each end and threads that copy packets from one to the other after the same
//!   delay, dropping the same share. The kernels' own TCP runs over it, retransmissions and all.
//!
//! The loss is split between the directions so that a round trip (a packet and its answer)
//! loses `loss` of them: each direction drops `1 - sqrt(1 - loss)` (0.501 % for 1 %).
//!
//! Everything is removed on drop (and a TUN device vanishes with the process holding it).

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::Rng as _;
use tun_rs::{DeviceBuilder, SyncDevice};

use crate::netns::{Namespace, run};

/// How slow the link is.
#[derive(Clone, Copy, Debug)]
pub struct LinkConditions {
    /// Added to every round trip; half of it each way.
    pub round_trip: Duration,
    /// The share of round trips that lose a packet, 0.0–1.0 (split between the directions).
    pub loss: f64,
}

impl LinkConditions {
    /// The delay each direction adds.
    pub fn one_way_delay(&self) -> Duration {
        self.round_trip / 2
    }

    /// The share of packets each direction drops, so that a round trip loses `loss`.
    pub fn one_way_loss(&self) -> f64 {
        1.0 - (1.0 - self.loss.clamp(0.0, 1.0)).sqrt()
    }
}

/// How the delay and loss are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emulation {
    /// The kernel's netem queueing discipline on a veth pair.
    Netem,
    /// TUN devices joined by this process's threads.
    Userspace,
}

impl Emulation {
    pub fn as_str(self) -> &'static str {
        match self {
            Emulation::Netem => "netem",
            Emulation::Userspace => "userspace",
        }
    }
}

/// One slow link; removed when dropped.
pub struct SlowLink {
    /// The client's end, in the root namespace.
    pub host_ip: String,
    /// The agent's end, in the namespace: listen here, connect here.
    pub agent_ip: String,
    /// The root namespace's interface of the link, whose counters
    /// (`/sys/class/net/<it>/statistics/{rx,tx}_bytes`) are the bytes on the wire.
    pub host_if: String,
    pub emulation: Emulation,
    namespace: String,
    inner_if: String,
}

impl SlowLink {
    /// A slow link to `namespace` with `conditions`.
    pub fn open(namespace: &Namespace, conditions: LinkConditions) -> Result<SlowLink, String> {
        let (third, fourth) = namespace.address_block();
        let suffix = namespace.suffix();
        let mut link = SlowLink {
            host_ip: format!("10.232.{third}.{}", fourth + 1),
            agent_ip: format!("10.232.{third}.{}", fourth + 2),
            host_if: format!("ps{suffix}h"),
            emulation: Emulation::Netem,
            namespace: namespace.name.clone(),
            inner_if: format!("ps{suffix}n"),
        };
        // On a failure, whatever was made so far goes with `link` (dropped).
        match link.set_up_netem(conditions) {
            Ok(()) => return Ok(link),
            Err(error) if error.contains("qdisc kind is unknown") => {}
            Err(error) => return Err(error),
        }
        link.remove();
        link.emulation = Emulation::Userspace;
        link.set_up_userspace(conditions)?;
        Ok(link)
    }

    fn set_up_netem(&self, conditions: LinkConditions) -> Result<(), String> {
        run(
            "ip",
            &[
                "link",
                "add",
                &self.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &self.inner_if,
            ],
        )?;
        let delay = format!("{}us", conditions.one_way_delay().as_micros());
        let loss = format!("{:.4}%", conditions.one_way_loss() * 100.0);
        // A queue long enough for a 10 MB burst in flight: netem's default (1000 packets) would
        // add tail drops of its own on top of the loss asked for.
        let netem = |device: &str| -> Vec<String> {
            [
                "qdisc", "replace", "dev", device, "root", "netem", "delay", &delay, "loss", &loss,
                "limit", "100000",
            ]
            .map(str::to_owned)
            .to_vec()
        };
        run_owned("tc", &netem(&self.host_if))?;
        run(
            "ip",
            &["link", "set", &self.inner_if, "netns", &self.namespace],
        )?;
        let mut inner = vec![
            "netns".to_owned(),
            "exec".to_owned(),
            self.namespace.clone(),
        ];
        inner.push("tc".to_owned());
        inner.extend(netem(&self.inner_if));
        run_owned("ip", &inner)?;
        self.address_both_ends()
    }

    fn set_up_userspace(&self, conditions: LinkConditions) -> Result<(), String> {
        let open = |name: &str| {
            DeviceBuilder::new()
                .name(name)
                .build_sync()
                .map(Arc::new)
                .map_err(|error| format!("TUN device {name}: {error}"))
        };
        let host = open(&self.host_if)?;
        let inner = open(&self.inner_if)?;
        // The device keeps working in the namespace it is moved to; this process keeps its file.
        run(
            "ip",
            &["link", "set", &self.inner_if, "netns", &self.namespace],
        )?;
        self.address_both_ends()?;
        forward(host.clone(), inner.clone(), conditions);
        forward(inner, host, conditions);
        Ok(())
    }

    fn address_both_ends(&self) -> Result<(), String> {
        let (ns, host_if, inner_if) = (&self.namespace, &self.host_if, &self.inner_if);
        run(
            "ip",
            &[
                "addr",
                "add",
                &format!("{}/30", self.host_ip),
                "dev",
                host_if,
            ],
        )?;
        run("ip", &["link", "set", host_if, "up"])?;
        let agent = format!("{}/30", self.agent_ip);
        run("ip", &["-n", ns, "addr", "add", &agent, "dev", inner_if])?;
        run("ip", &["-n", ns, "link", "set", inner_if, "up"])
    }

    /// Bytes through the link so far, both directions (IP packets; a veth counts their Ethernet
    /// headers too).
    pub fn bytes(&self) -> Result<u64, String> {
        let counter = |name: &str| -> Result<u64, String> {
            let path = format!("/sys/class/net/{}/statistics/{name}", self.host_if);
            std::fs::read_to_string(&path)
                .map_err(|error| format!("{path}: {error}"))?
                .trim()
                .parse::<u64>()
                .map_err(|error| format!("{path}: {error}"))
        };
        Ok(counter("rx_bytes")? + counter("tx_bytes")?)
    }

    fn remove(&self) {
        // Removing either end of a veth removes both; the TUN devices go one by one (and wake
        // the threads reading them, which then end).
        let _ = run(
            "ip",
            &["-n", &self.namespace, "link", "del", &self.inner_if],
        );
        let _ = run("ip", &["link", "del", &self.host_if]);
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.remove();
    }
}

fn run_owned(program: &str, args: &[String]) -> Result<(), String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(program, &args)
}

/// Copies packets from `from` to `to` on two threads: one reads and drops its share, the other
/// sends each packet once it has been on the way for the one-way delay. The delay is the same
/// for every packet, so first in is first due. Both end when `from` is removed.
fn forward(from: Arc<SyncDevice>, to: Arc<SyncDevice>, conditions: LinkConditions) {
    let (delay, loss) = (conditions.one_way_delay(), conditions.one_way_loss());
    let (sender, receiver) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut rng = rand::rng();
        let mut buffer = vec![0u8; 65_536];
        loop {
            let length = match from.recv(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(length) => length,
            };
            if rng.random::<f64>() < loss {
                continue;
            }
            let due = Instant::now() + delay;
            if sender.send((due, buffer[..length].to_vec())).is_err() {
                return;
            }
        }
    });
    std::thread::spawn(move || {
        for (due, packet) in receiver {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            // A full queue or a device going down loses the packet, as a wire would.
            let _ = to.send(&packet);
        }
    });
}
