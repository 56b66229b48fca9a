//! The slow link really is slow (netem where the kernel has it, else the userspace emulator):
//! a TCP connection attempt to a closed port in the namespace is refused after one round trip,
//! which takes the added 150 ms over the slow link and stays fast over the namespace's veth
//! (the workspaces' side, not slowed down). Needs root, as every namespace test does.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use perry_test_support::netns::Namespace;
use perry_test_support::slow_link::{LinkConditions, SlowLink};

/// The shortest of three refused connection attempts to `ip`: one round trip each (a lost SYN
/// is sent again after a second, which only the minimum leaves out).
fn refused_round_trip(ip: &str) -> Duration {
    let address: SocketAddr = format!("{ip}:9").parse().unwrap();
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let outcome = TcpStream::connect_timeout(&address, Duration::from_secs(5));
            assert!(outcome.is_err(), "nothing listens on {address}");
            started.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn slow_link_adds_its_round_trip_and_leaves_the_veth_fast_and_is_removed_on_drop() {
    let namespace = Namespace::create("slow").expect("a network namespace (run as root)");
    let link = SlowLink::open(
        &namespace,
        LinkConditions {
            round_trip: Duration::from_millis(150),
            loss: 0.01,
        },
    )
    .expect("a slow link");
    let bytes_before = link.bytes().unwrap();

    let slow = refused_round_trip(&link.agent_ip);
    assert!(
        // The upper bound only rules out a stalled link; a loaded machine may add a little.
        slow >= Duration::from_millis(140) && slow < Duration::from_millis(1_000),
        "a round trip over the slow link ({:?}) took {slow:?}",
        link.emulation
    );
    let fast = refused_round_trip(&namespace.agent_ip);
    assert!(
        fast < Duration::from_millis(50),
        "a round trip over the veth took {fast:?}"
    );
    assert!(link.bytes().unwrap() > bytes_before, "the counters count");

    let host_if = link.host_if.clone();
    drop(link);
    assert!(!Path::new("/sys/class/net").join(&host_if).exists());
}
