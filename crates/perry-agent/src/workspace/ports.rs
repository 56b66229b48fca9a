//! SSH port allocation: a port from the configured range that no workspace holds and no other
//! process on the host listens on.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};

use perry_api::PortRange;

/// The lowest port of `range` that is not in `taken` and that `is_free` accepts.
pub fn allocate_port(
    range: PortRange,
    taken: &BTreeSet<u16>,
    is_free: impl Fn(u16) -> bool,
) -> Option<u16> {
    (range.start..=range.end).find(|port| !taken.contains(port) && is_free(*port))
}

/// Whether nothing on this host listens on `port` (checked by binding it for a moment).
pub fn host_port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANGE: PortRange = PortRange {
        start: 2200,
        end: 2203,
    };

    #[test]
    fn takes_the_lowest_free_port() {
        assert_eq!(allocate_port(RANGE, &BTreeSet::new(), |_| true), Some(2200));
        assert_eq!(
            allocate_port(RANGE, &BTreeSet::from([2200, 2201]), |_| true),
            Some(2202)
        );
    }

    #[test]
    fn skips_ports_the_host_uses() {
        assert_eq!(
            allocate_port(RANGE, &BTreeSet::from([2200]), |port| port != 2201),
            Some(2202)
        );
    }

    #[test]
    fn an_exhausted_range_gives_none() {
        assert_eq!(
            allocate_port(RANGE, &BTreeSet::from([2200, 2201, 2202]), |port| port
                != 2203),
            None
        );
    }

    #[test]
    fn a_port_someone_listens_on_is_not_free() {
        let listener = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(!host_port_is_free(port));
        drop(listener);
        assert!(host_port_is_free(port));
    }
}
