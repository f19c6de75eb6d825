//! Redirect URIs: which may be registered (OA-03) and the list a client registered. Requests
//! compare against these by exact string equality (OA-01), except that a registered loopback
//! IP literal (`http://127.0.0.1`, `http://[::1]`) matches on any port (RFC 8252 §7.3).

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

/// The registered URI `given` matches, compared by exact string equality; `None` when it
/// matches none. A native app's loopback redirect may differ from a registered loopback IP
/// literal in its port alone.
pub fn find_registered(client: &oauth_client::Model, given: &str) -> Option<String> {
    let registered = registered(client);
    if registered.iter().any(|r| r == given) {
        return Some(given.to_owned());
    }
    registered
        .iter()
        .any(|r| same_but_loopback_port(r, given))
        .then(|| given.to_owned())
}

/// Whether `given` equals `registered` except for the port, both being `http` on a loopback IP
/// literal (not `localhost`, RFC 8252 §8.3).
fn same_but_loopback_port(registered: &str, given: &str) -> bool {
    let (Ok(r), Ok(g)) = (Url::parse(registered), Url::parse(given)) else {
        return false;
    };
    let loopback_ip = |u: &Url| {
        u.scheme() == "http"
            && match u.host() {
                Some(Host::Ipv4(ip)) => ip.is_loopback(),
                Some(Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            }
    };
    if !loopback_ip(&r) || !loopback_ip(&g) {
        return false;
    }
    // Compare the rest as the client wrote it: the port is cut out of the text itself, so the
    // parser's normalisation can never make two different strings equal.
    let without_port = |text: &str| -> Option<String> {
        let rest = text.strip_prefix("http://")?;
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let host = &rest[..host_end];
        let bare = match host.rfind(':') {
            Some(i) if !host[i..].contains(']') => &host[..i],
            _ => host,
        };
        Some(format!("http://{bare}{}", &rest[host_end..]))
    };
    matches!((without_port(registered), without_port(given)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_with(uris: &[&str]) -> oauth_client::Model {
        let now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        oauth_client::Model {
            id: 1,
            client_id: "c".into(),
            secret_hash: None,
            owner_user_id: 1,
            name: "c".into(),
            description: String::new(),
            author_name: String::new(),
            domain: String::new(),
            redirect_uris: serde_json::to_string(uris).unwrap(),
            icon_url: String::new(),
            privacy_policy_url: String::new(),
            tos_url: String::new(),
            api_version: 2,
            default_scopes: String::new(),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn oa_01_exact_match_with_the_loopback_port_exception() {
        let web = client_with(&["https://client.example.com/cb"]);
        assert!(find_registered(&web, "https://client.example.com/cb").is_some());
        for bad in [
            "https://client.example.com:443/cb",
            "https://CLIENT.EXAMPLE.COM/cb",
            "HTTPS://client.example.com/cb",
            "https://client.example.com/cb/",
            "https://client.example.com/cb?x=1",
            "https://client.example.com/cb#f",
            "https://client.example.com/cb/../cb",
            "https://client.example.com/%2E%2E/cb",
            "https://client.example.com/%252E%252E/cb",
            "https://client.example.com/Cb",
            "https://a@client.example.com/cb",
            "https://client.example.com:8443/cb",
        ] {
            assert!(find_registered(&web, bad).is_none(), "{bad}");
        }
        let native = client_with(&["http://127.0.0.1/cb", "http://[::1]:80/cb"]);
        for ok in [
            "http://127.0.0.1/cb",
            "http://127.0.0.1:53121/cb",
            "http://[::1]:1/cb",
            "http://[::1]/cb",
        ] {
            assert_eq!(find_registered(&native, ok).as_deref(), Some(ok));
        }
        for bad in [
            "http://127.0.0.1:53121/cb/",
            "http://127.0.0.1:53121/other",
            "http://localhost:53121/cb",
            "http://127.0.0.2:53121/cb",
            "https://127.0.0.1:53121/cb",
            "http://127.0.0.1:53121/cb?x=1",
        ] {
            assert!(find_registered(&native, bad).is_none(), "{bad}");
        }
        let localhost = client_with(&["http://localhost:8080/cb"]);
        assert!(find_registered(&localhost, "http://localhost:9090/cb").is_none());
    }

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
