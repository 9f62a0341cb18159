//! Choosing the server's port: any free one, or the first free one in a site's range (for
//! clusters whose firewall opens only some ports between the login and compute nodes).

use std::fmt;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::str::FromStr;

/// An inclusive range of TCP ports, written `LO-HI`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// The lowest port tried.
    pub low: u16,
    /// The highest port tried.
    pub high: u16,
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (low, high) = text
            .split_once('-')
            .ok_or_else(|| format!("port range {text:?}: expected LO-HI, e.g. 40000-40999"))?;
        let parse = |part: &str| {
            part.trim()
                .parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| format!("port range {text:?}: {part:?} is not a port (1-65535)"))
        };
        let (low, high) = (parse(low)?, parse(high)?);
        if low > high {
            return Err(format!("port range {text:?}: {low} is above {high}"));
        }
        Ok(PortRange { low, high })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.low, self.high)
    }
}

/// No port could be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot bind a port on {ip}{}", range.map(|r| format!(" in {r}")).unwrap_or_default())]
pub struct BindError {
    /// The address asked for.
    pub ip: IpAddr,
    /// The range tried, if any.
    pub range: Option<PortRange>,
    /// The last bind error.
    #[source]
    pub source: std::io::Error,
}

/// Binds a listener on `ip`: a port the system picks, or the first free port of `range`
/// (tried in order, so the choice is predictable).
pub fn bind(ip: IpAddr, range: Option<PortRange>) -> Result<TcpListener, BindError> {
    let error = |source| BindError { ip, range, source };
    let Some(range) = range else {
        return TcpListener::bind(SocketAddr::new(ip, 0)).map_err(error);
    };
    let mut last = None;
    for port in range.low..=range.high {
        match TcpListener::bind(SocketAddr::new(ip, port)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(error(last.expect("a range holds at least one port")))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn parses_ranges() {
        assert_eq!(
            "40000-40999".parse(),
            Ok(PortRange {
                low: 40000,
                high: 40999
            })
        );
        assert_eq!("7-7".parse::<PortRange>().unwrap().to_string(), "7-7");
        for bad in ["", "40000", "2-1", "0-10", "1-70000", "a-b"] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn binds_the_first_free_port_of_a_range() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let taken = bind(ip, None).unwrap();
        let port = taken.local_addr().unwrap().port();
        if port == u16::MAX {
            return; // no room after it for this test
        }
        let range = PortRange {
            low: port,
            high: port + 1,
        };
        match bind(ip, Some(range)) {
            Ok(next) => assert_eq!(next.local_addr().unwrap().port(), port + 1),
            // Another process may hold port + 1; then the range is simply full.
            Err(e) => assert!(e.to_string().contains(&range.to_string()), "{e}"),
        }
        let full = PortRange {
            low: port,
            high: port,
        };
        let err = bind(ip, Some(full)).unwrap_err();
        assert!(err.to_string().contains(&full.to_string()), "{err}");
    }
}
