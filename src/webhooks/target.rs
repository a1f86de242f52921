//! Where webhooks may be sent. Unless the server allows it
//! (`WebhookConfig::allow_private_targets`, `DUIJIE_WEBHOOK_ALLOW_PRIVATE=1`),
//! a subscription URL must not lead to the server's own network: loopback,
//! private (10/8, 172.16/12, 192.168/16, IPv6 unique-local fc00::/7),
//! link-local (169.254/16, fe80::/10) or unspecified (0.0.0.0/8, ::)
//! addresses are refused — otherwise anyone allowed to subscribe could make
//! duijie send requests into the internal network (SSRF).
//!
//! Checked twice: literal addresses and `localhost` when a subscription is
//! created, and the resolved addresses of the host at every delivery
//! (names can be re-pointed after subscribing). The delivery client resolves
//! names through [`GuardedResolver`], so the address that is checked is the
//! address that is connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address is refused, or `None` when it is an ordinary public one.
pub fn refused_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4),
            None => refused_v6(v6),
        },
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if o[0] == 10
        || (o[0] == 172 && (16..=31).contains(&o[1]))
        || (o[0] == 192 && o[1] == 168)
    {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if o[0] == 0 {
        Some("unspecified")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else {
        None
    }
}

/// The reason a URL is refused from its text alone (a literal address or
/// `localhost`), in Chinese and English; `None` when it passes (a name still
/// gets its resolved addresses checked at delivery).
pub fn refused_literal(url: &reqwest::Url) -> Option<(String, String)> {
    let host = url.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return refused_ip(ip).map(|why| describe(ip, why));
    }
    let d = host.trim_end_matches('.').to_ascii_lowercase();
    (d == "localhost" || d.ends_with(".localhost")).then(|| {
        (
            "目标地址指向本机（localhost）".to_owned(),
            "the target is localhost".to_owned(),
        )
    })
}

fn describe(ip: IpAddr, why: &'static str) -> (String, String) {
    let zh = match why {
        "loopback" => "本机回环",
        "private" => "内网",
        "link-local" => "链路本地",
        _ => "未指定",
    };
    (
        format!("目标地址 {ip} 是{zh}地址"),
        format!("the target address {ip} is a {why} address"),
    )
}

/// The error recorded for a delivery refused by the policy.
pub fn refusal_error(message_en: &str) -> String {
    format!("webhook_target_refused: {message_en}")
}

/// Resolves `host`; refuses it when any of its addresses is refused.
pub async fn resolve_checked(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| format!("dns error: {e}"))?
        .collect();
    if !allow_private
        && let Some((ip, why)) = addrs
            .iter()
            .find_map(|a| refused_ip(a.ip()).map(|why| (a.ip(), why)))
    {
        return Err(refusal_error(&format!(
            "{host} resolves to {ip}, a {why} address"
        )));
    }
    Ok(addrs)
}

/// The delivery client's resolver: applies the policy to every name it
/// resolves, so a name cannot be re-pointed between check and connect.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allow = self.allow_private;
        Box::pin(async move {
            let addrs = resolve_checked(&host, allow).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl GuardedResolver {
    pub fn shared(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(u: &str) -> bool {
        match reqwest::Url::parse(u) {
            Ok(url) => refused_literal(&url).is_some(),
            Err(e) => panic!("{u}: {e}"),
        }
    }

    #[test]
    fn internal_addresses_are_refused_public_ones_pass() {
        for u in [
            "http://127.0.0.1/h",
            "http://127.8.0.1:9000/h",
            "http://10.0.0.1/hook",
            "http://172.16.0.1/h",
            "http://172.31.255.255/h",
            "http://192.168.1.1/h",
            "http://169.254.169.254/latest",
            "http://0.0.0.0/h",
            "http://[::1]/h",
            "http://[::]/h",
            "http://[fe80::1]/h",
            "http://[fd00::1]/h",
            "http://[::ffff:10.0.0.1]/h",
            "http://localhost/hook",
            "http://LOCALHOST.:8080/hook",
            "http://api.localhost/hook",
        ] {
            assert!(lit(u), "{u} should be refused");
        }
        for u in [
            "https://hooks.example.com/x",
            "http://172.32.0.1/h",
            "http://8.8.8.8/h",
            "http://[2001:db8::1]/h",
        ] {
            assert!(!lit(u), "{u} should pass");
        }
    }
}
