//! Redirect URIs: which may be registered (OA-03) and the list a client registered. Requests
//! compare against these by exact string equality (OA-01).

use maecenas_store::entities::oauth_client;
use url::{Host, Url};

/// Whether `uri` may be registered: absolute, no fragment, no script-ish scheme; `https`, or
/// `http` on a loopback host, or a private-use scheme containing a dot (`com.example.app:/cb`).
pub fn check_registrable(uri: &str) -> Result<(), String> {
    let parsed = Url::parse(uri).map_err(|_| format!("{uri:?} is not an absolute URI."))?;
    if parsed.fragment().is_some() {
        return Err(format!("{uri:?} has a fragment."));
    }
    let loopback = match parsed.host() {
        Some(Host::Domain(d)) => d == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!("{uri:?}: plain http is only for loopback hosts.")),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err(format!(
            "{uri:?}: use https (or a reverse-DNS private-use scheme)."
        )),
    }
}

/// The client's registered redirect URIs (stored as a JSON array).
pub fn registered(client: &oauth_client::Model) -> Vec<String> {
    serde_json::from_str(&client.redirect_uris).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oa_03_registrable_redirect_uris() {
        for ok in [
            "https://client.example.com/cb",
            "http://127.0.0.1:8000/callback",
            "http://localhost/cb",
            "http://[::1]:9/cb",
            "com.example.app:/oauth",
        ] {
            assert!(check_registrable(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/relative",
            "https://client.example.com/cb#frag",
            "http://client.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "myapp:/cb",
        ] {
            assert!(check_registrable(bad).is_err(), "{bad}");
        }
    }
}
