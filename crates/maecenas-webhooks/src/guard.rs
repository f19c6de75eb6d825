//! The SSRF guard (`security-reliability.md` WH-08, OB-T7): a webhook URI must be https (http
//! only to a loopback host in the sandbox), and a delivery may not reach a loopback, private,
//! link-local (the cloud metadata address among them), unspecified, shared, multicast or
//! broadcast address — checked on the addresses a name resolves to at connect time, so DNS
//! rebinding gains nothing — unless the configuration allows it.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use url::{Host, Url};

use crate::config::WebhookConfig;

/// Why a URI or an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the uri is not an absolute URL")]
    NotAUrl,
    #[error("the uri must use https")]
    NotHttps,
    #[error("the uri must not carry credentials")]
    Credentials,
    #[error("the uri's address {0} is internal (loopback, private, link-local or metadata)")]
    Internal(IpAddr),
}

/// What a delivery may reach.
#[derive(Debug, Clone)]
pub struct Guard {
    config: Arc<WebhookConfig>,
}

/// Whether `ip` is an address integrations must not make us call.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7 (AWS metadata fd00:ec2::254)
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10
                || v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] // NAT64 of anything
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible ::a.b.c.d
        }
    }
}

fn is_internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local() // 169.254/16, the metadata address 169.254.169.254 among them
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared 100.64/10
        || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF 192.0.0/24
        || a >= 240
}

impl Guard {
    /// A guard over `config`'s allow-list.
    pub fn new(config: Arc<WebhookConfig>) -> Self {
        Self { config }
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        (self.config.allow_loopback && ip.is_loopback())
            || self.config.allow_networks.iter().any(|n| n.contains(&ip))
    }

    /// Refuses an address deliveries may not reach.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        if is_internal(ip) && !self.allowed(ip) {
            Err(Refused::Internal(ip))
        } else {
            Ok(())
        }
    }

    /// Checks a webhook URI as given (scheme, credentials, a literal address); names are
    /// checked when they resolve.
    pub fn check_uri(&self, raw: &str) -> Result<Url, Refused> {
        let url = Url::parse(raw.trim()).map_err(|_| Refused::NotAUrl)?;
        let host = url.host().ok_or(Refused::NotAUrl)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Credentials);
        }
        let literal = match host {
            Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            Host::Domain(_) => None,
        };
        let loopback_host = match (&host, literal) {
            (_, Some(ip)) => ip.is_loopback(),
            (Host::Domain(d), None) => d.eq_ignore_ascii_case("localhost"),
            _ => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if self.config.allow_loopback && loopback_host => {}
            _ => return Err(Refused::NotHttps),
        }
        if let Some(ip) = literal {
            self.check_ip(ip)?;
        }
        if loopback_host && literal.is_none() {
            self.check_ip(IpAddr::V6(Ipv6Addr::LOCALHOST))?;
        }
        Ok(url)
    }

    /// Resolves `host` and keeps the addresses deliveries may reach; an error when any is
    /// refused (a name that points inside is refused whole).
    pub async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
        if let Some(bad) = addrs.iter().find(|a| self.check_ip(a.ip()).is_err()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                Refused::Internal(bad.ip()).to_string(),
            ));
        }
        Ok(addrs)
    }
}

/// reqwest's resolver, through the guard.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver(pub Guard);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let addrs = guard.resolve(name.as_str(), 0).await?;
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(config: WebhookConfig) -> Guard {
        Guard::new(Arc::new(config))
    }

    #[test]
    fn the_ssrf_matrix_is_refused_in_production() {
        let g = guard(WebhookConfig::default());
        for uri in [
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://172.31.255.255/",
            "https://192.168.1.1/",
            "https://[fc00::1]/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://0.0.0.0/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://100.64.0.1/",
            "https://localhost/",
        ] {
            assert!(
                matches!(g.check_uri(uri), Err(Refused::Internal(_))),
                "{uri}"
            );
        }
        assert_eq!(
            g.check_uri("http://example.com/"),
            Err(Refused::NotHttps),
            "https only"
        );
        assert_eq!(g.check_uri("http://127.0.0.1:9/"), Err(Refused::NotHttps));
        assert_eq!(g.check_uri("not a url"), Err(Refused::NotAUrl));
        assert_eq!(g.check_uri("ftp://example.com/"), Err(Refused::NotHttps));
        assert_eq!(
            g.check_uri("https://u:p@example.com/"),
            Err(Refused::Credentials)
        );
        assert!(g.check_uri("https://example.com/hook").is_ok());
        assert!(g.check_uri("https://93.184.216.34/hook").is_ok());
    }

    #[test]
    fn the_sandbox_allows_loopback_only_and_the_allow_list_works() {
        let g = guard(WebhookConfig::sandbox());
        assert!(g.check_uri("http://127.0.0.1:8080/hook").is_ok());
        assert!(g.check_uri("http://localhost:8080/hook").is_ok());
        assert!(g.check_uri("http://[::1]:8080/hook").is_ok());
        assert_eq!(g.check_uri("http://example.com/"), Err(Refused::NotHttps));
        assert!(g.check_uri("https://169.254.169.254/").is_err());
        assert!(g.check_uri("https://10.0.0.1/").is_err());

        let g = guard(WebhookConfig {
            allow_networks: vec!["10.0.0.0/8".parse().unwrap()],
            ..WebhookConfig::default()
        });
        assert!(g.check_uri("https://10.9.9.9/").is_ok());
        assert!(g.check_uri("https://192.168.0.1/").is_err());
    }

    #[tokio::test]
    async fn a_name_resolving_inside_is_refused_at_connect_time() {
        let g = guard(WebhookConfig::default());
        let err = g.resolve("localhost", 443).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
        let sandbox = guard(WebhookConfig::sandbox());
        assert!(!sandbox.resolve("localhost", 443).await.unwrap().is_empty());
    }
}
