//! Where webhooks may be sent: the server-side request forgery guard.
//!
//! A webhook URL is chosen by whoever holds an API key, and the server
//! then makes requests to it: without a guard, a key holder could make the
//! server call its own database port, a cloud metadata service or a
//! machine on the private network. So a destination must resolve only to
//! globally routable addresses. Private, loopback, link-local, shared
//! (CGNAT), documentation, benchmarking, multicast, reserved and
//! unspecified addresses are refused, and so are IPv6 forms that embed an
//! IPv4 address (mapped, compatible, NAT64, 6to4) when the embedded one is
//! refused. Loopback alone can be allowed, for development and tests.
//!
//! The check is made on every delivery against the addresses the
//! connection then uses (see the server's sender), not just at
//! registration: a name can be re-pointed after it was checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute `http(s)://host/…` URL, or it carries credentials.
    Malformed(&'static str),
    /// Production sends only over HTTPS.
    NotHttps,
    /// The host does not resolve.
    Unresolvable,
    /// An address the host resolves to is not on the public internet
    /// (kept for the server's log; never shown to the caller, to whom it
    /// would map the private network one guess at a time).
    NotGlobal(IpAddr),
    /// Production sends to port 443 and the configured ports only.
    Port(u16),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "{why}"),
            Refusal::NotHttps => write!(f, "Use an https:// URL."),
            Refusal::Unresolvable => write!(f, "The host name does not resolve."),
            Refusal::NotGlobal(_) => write!(
                f,
                "The URL resolves to an address that is not on the public internet; \
                 webhooks are only sent to public addresses."
            ),
            Refusal::Port(port) => write!(
                f,
                "Port {port} is not accepted for webhooks here; use https on port 443."
            ),
        }
    }
}

/// Which destinations this instance accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Require `https://` (production).
    pub https_only: bool,
    /// Accept loopback addresses (development and tests only).
    pub allow_loopback: bool,
    /// The only ports accepted (production: 443 and the configured ones);
    /// `None` accepts any port (development).
    pub ports: Option<&'static [u16]>,
}

/// A checked URL: where to connect and what to send as the host.
#[derive(Debug, Clone)]
pub struct Destination {
    pub url: url::Url,
    pub host: String,
    pub port: u16,
}

/// Checks a URL's shape (no network): scheme, host, no credentials.
pub fn parse(raw: &str, policy: Policy) -> Result<Destination, Refusal> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err(Refusal::Malformed(
            "The URL is too long (2,000 characters at most).",
        ));
    }
    let url = url::Url::parse(raw).map_err(|_| {
        Refusal::Malformed("Enter an absolute URL, like https://example.org/hooks.")
    })?;
    match url.scheme() {
        "https" => {}
        "http" if !policy.https_only => {}
        "http" => return Err(Refusal::NotHttps),
        _ => return Err(Refusal::Malformed("Use an http:// or https:// URL.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Malformed(
            "Leave credentials out of the URL; verify our signature instead.",
        ));
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(Refusal::Malformed("The URL needs a host.")),
    };
    let port = url
        .port_or_known_default()
        .ok_or(Refusal::Malformed("The URL needs a port."))?;
    if policy.ports.is_some_and(|ports| !ports.contains(&port)) {
        return Err(Refusal::Port(port));
    }
    Ok(Destination { url, host, port })
}

/// Resolves the destination and checks every address it resolves to; the
/// addresses to connect to (and only those).
pub async fn resolve(
    dest: &Destination,
    policy: Policy,
) -> Result<Vec<std::net::SocketAddr>, Refusal> {
    let addrs: Vec<std::net::SocketAddr> = match dest.host.parse::<IpAddr>() {
        Ok(ip) => vec![std::net::SocketAddr::new(ip, dest.port)],
        Err(_) => tokio::net::lookup_host((dest.host.as_str(), dest.port))
            .await
            .map_err(|_| Refusal::Unresolvable)?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(Refusal::Unresolvable);
    }
    // One refused address refuses the name: a resolver answering with a
    // mix would otherwise decide where the request goes.
    for addr in &addrs {
        allowed(addr.ip(), policy)?;
    }
    Ok(addrs)
}

/// Whether one address may be sent to.
pub fn allowed(ip: IpAddr, policy: Policy) -> Result<(), Refusal> {
    if policy.allow_loopback && is_loopback(ip) {
        return Ok(());
    }
    if is_global(ip) {
        Ok(())
    } else {
        Err(Refusal::NotGlobal(ip))
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Globally routable unicast (IANA special-purpose registries).
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Forms that carry an IPv4 address are judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_global_v4(v4);
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        // NAT64 well-known prefix 64:ff9b::/96.
        return is_global_v4(Ipv4Addr::from(((u32::from(s[6])) << 16) | u32::from(s[7])));
    }
    if s[0] == 0x2002 {
        // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
        return is_global_v4(Ipv4Addr::from(((u32::from(s[1])) << 16) | u32::from(s[2])));
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        // Unspecified, loopback and the deprecated IPv4-compatible form.
        return false;
    }
    // Global unicast is 2000::/3, minus the special blocks inside it.
    (s[0] & 0xe000) == 0x2000
        && !(s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments, Teredo, ORCHID…
        && !(s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        && s[0] != 0x3fff // documentation (RFC 9637)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_addresses_are_allowed() {
        for a in [
            "93.184.215.14",
            "8.8.8.8",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "2001:4860:4860::8888",
        ] {
            assert!(is_global(ip(a)), "{a}");
        }
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
            "::127.0.0.1",
            "2001::1",
        ] {
            assert!(!is_global(ip(a)), "{a}");
        }
    }

    #[test]
    fn loopback_only_when_allowed_and_never_other_private_ranges() {
        let dev = Policy {
            https_only: false,
            allow_loopback: true,
            ports: None,
        };
        assert!(allowed(ip("127.0.0.1"), dev).is_ok());
        assert!(allowed(ip("::1"), dev).is_ok());
        assert!(allowed(ip("::ffff:127.0.0.1"), dev).is_ok());
        assert!(allowed(ip("10.0.0.1"), dev).is_err());
        assert!(allowed(ip("127.0.0.1"), Policy::default()).is_err());
    }

    #[test]
    fn urls_are_checked_for_shape() {
        let prod = Policy {
            https_only: true,
            allow_loopback: false,
            ports: None,
        };
        assert_eq!(
            parse("http://example.org/h", prod).err(),
            Some(Refusal::NotHttps)
        );
        assert!(parse("https://example.org/h", prod).is_ok());
        assert!(matches!(
            parse("ftp://example.org", Policy::default()),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            parse("https://u:p@example.org/", prod),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            parse("not a url", prod),
            Err(Refusal::Malformed(_))
        ));
        let d = parse("https://[::1]:8443/x", prod).unwrap();
        assert_eq!((d.host.as_str(), d.port), ("::1", 8443));
    }

    #[test]
    fn production_ports_are_443_and_the_configured_ones() {
        let prod = Policy {
            https_only: true,
            allow_loopback: false,
            ports: Some(&[443, 8443]),
        };
        assert!(parse("https://example.org/h", prod).is_ok());
        assert!(parse("https://example.org:8443/h", prod).is_ok());
        assert_eq!(
            parse("https://example.org:6379/h", prod).err(),
            Some(Refusal::Port(6379))
        );
    }

    #[test]
    fn refusals_never_reveal_the_resolved_address() {
        let text = Refusal::NotGlobal(ip("10.20.30.40")).to_string();
        assert!(!text.contains("10.20.30.40"), "{text}");
    }

    #[tokio::test]
    async fn literal_addresses_are_checked_without_dns() {
        let prod = Policy {
            https_only: false,
            allow_loopback: false,
            ports: None,
        };
        let d = parse("http://169.254.169.254/latest/meta-data", prod).unwrap();
        assert!(matches!(
            resolve(&d, prod).await,
            Err(Refusal::NotGlobal(_))
        ));
        let d = parse("http://[::ffff:7f00:1]:9000/", prod).unwrap();
        assert!(matches!(
            resolve(&d, prod).await,
            Err(Refusal::NotGlobal(_))
        ));
        let d = parse("http://localhost:9/", prod).unwrap();
        assert!(resolve(&d, prod).await.is_err());
    }
}
