//! Webhook delivery: a background task started with the server sends the
//! rows of `webhook_outbox` (written in the same transaction as the event,
//! see `storage::repo::webhooks`) to their subscription's URL.
//!
//! Each POST carries the stored JSON body exactly, with
//! `X-Duijie-Event`, `X-Duijie-Delivery` (the outbox id: the same on every
//! retry, so receivers can drop duplicates) and
//! `X-Duijie-Signature: sha256=<hex HMAC-SHA256 of the body with the
//! subscription's shared secret>`. A 2xx answer is a delivery; anything else
//! is retried with exponential backoff until `max_attempts`, then the row is
//! given up. Every attempt is logged in `webhook_deliveries`.
//!
//! Delivery is at least once: a row is claimed for one attempt with a lease
//! (its `next_attempt_at` moves to now + timeout + margin); a process killed
//! during the attempt leaves the row to be retried after the lease, by
//! whichever process runs next.

pub mod target;

use crate::storage::entities::webhook_outbox;
use crate::storage::repo::webhooks::{self as repo, Attempt};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::DatabaseConnection;
use sha2::Sha256;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

pub const EVENT_HEADER: &str = "x-duijie-event";
pub const DELIVERY_HEADER: &str = "x-duijie-delivery";
pub const SIGNATURE_HEADER: &str = "x-duijie-signature";

/// How the delivery task behaves.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Wait after the n-th failed attempt (the last entry repeats).
    pub backoff: Vec<Duration>,
    /// Attempts before a row is given up.
    pub max_attempts: i32,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How often the outbox is looked at when nothing is due sooner.
    pub poll_interval: Duration,
    /// Extra time on top of `timeout` for which a claimed row is left alone.
    pub lease_margin: Duration,
    /// Whether subscriptions may point at loopback, private, link-local or
    /// unspecified addresses (see [`target`]); off by default, on with
    /// `DUIJIE_WEBHOOK_ALLOW_PRIVATE=1` for `serve`.
    pub allow_private_targets: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            backoff: [10, 30, 120, 600, 1800, 3600, 7200]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            max_attempts: 8,
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            lease_margin: Duration::from_secs(5),
            allow_private_targets: false,
        }
    }
}

impl WebhookConfig {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff_after(&self, attempt: i32) -> Duration {
        let i = usize::try_from(attempt.max(1) - 1).unwrap_or(0);
        self.backoff
            .get(i)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(Duration::from_secs(60))
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature header in constant time (for receivers and tests).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The running delivery task; stopped when dropped or by [`Self::stop`].
pub struct Worker {
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts delivering from the outbox of `db`.
    pub fn start(db: DatabaseConnection, config: WebhookConfig) -> Worker {
        Worker {
            handle: Some(tokio::spawn(run(db, config))),
        }
    }

    /// Stops the task (an attempt in flight is abandoned and retried later).
    pub async fn stop(mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
            let _ = h.await;
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

async fn run(db: DatabaseConnection, config: WebhookConfig) {
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("duijie-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(target::GuardedResolver::shared(
            config.allow_private_targets,
        ))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: cannot build HTTP client; delivery disabled");
            return;
        }
    };
    loop {
        let busy = match tick(&db, &client, &config).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "webhooks: outbox poll failed");
                false
            }
        };
        if !busy {
            let wait = match repo::next_due(&db).await {
                Ok(Some(at)) => (at - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(config.poll_interval),
                _ => config.poll_interval,
            };
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
    }
}

/// Sends the rows due now; returns how many were attempted.
async fn tick(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    config: &WebhookConfig,
) -> Result<usize, sea_orm::DbErr> {
    let now = Utc::now();
    let rows = repo::due(db, now, 16).await?;
    let lease = chrono::Duration::from_std(config.timeout + config.lease_margin)
        .unwrap_or(chrono::Duration::seconds(15));
    let mut attempted = 0;
    let mut tasks = tokio::task::JoinSet::new();
    for row in rows {
        if !repo::claim(db, &row, now + lease).await? {
            continue;
        }
        attempted += 1;
        let (db, client, config) = (db.clone(), client.clone(), config.clone());
        tasks.spawn(async move {
            if let Err(e) = attempt(&db, &client, &config, &row).await {
                tracing::warn!(error = %e, outbox_id = row.id, "webhooks: cannot record attempt");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(attempted)
}

async fn attempt(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    config: &WebhookConfig,
    row: &webhook_outbox::Model,
) -> Result<(), sea_orm::DbErr> {
    let number = row.attempts + 1;
    let Some(sub) = repo::get(db, row.subscription_id).await? else {
        return Ok(());
    };
    let at = Utc::now();
    let started = Instant::now();
    let refused = if sub.active && !config.allow_private_targets {
        refused_target(&sub.url).await
    } else {
        None
    };
    let (status_code, error) = if let Some(reason) = refused {
        // Not connected at all: the policy refuses the address.
        (None, Some(reason))
    } else if sub.active {
        let sent = client
            .post(&sub.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, &row.event)
            .header(DELIVERY_HEADER, row.id.to_string())
            .header(
                SIGNATURE_HEADER,
                signature(&sub.secret, row.payload.as_bytes()),
            )
            .body(row.payload.clone())
            .send()
            .await;
        match sent {
            Ok(resp) => {
                let code = resp.status();
                // Read (and drop) the body so the connection can be reused.
                let _ = resp.bytes().await;
                let err = (!code.is_success()).then(|| format!("HTTP {code}"));
                (Some(i32::from(code.as_u16())), err)
            }
            Err(e) => (None, Some(describe(e))),
        }
    } else {
        (None, Some("subscription inactive".to_owned()))
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let delivered = error.is_none();
    let next_attempt_at = if delivered || number >= config.max_attempts {
        None
    } else {
        Some(
            Utc::now()
                + chrono::Duration::from_std(config.backoff_after(number))
                    .unwrap_or(chrono::Duration::seconds(60)),
        )
    };
    if delivered {
        tracing::info!(outbox_id = row.id, event = %row.event, attempt = number, "webhook delivered");
    } else if next_attempt_at.is_none() {
        tracing::warn!(outbox_id = row.id, event = %row.event, attempt = number, error = ?error, "webhook given up");
    } else {
        tracing::info!(outbox_id = row.id, event = %row.event, attempt = number, error = ?error, "webhook attempt failed; will retry");
    }
    repo::record_attempt(
        db,
        &Attempt {
            outbox_id: row.id,
            attempt: number,
            at,
            status_code,
            error,
            duration_ms,
            delivered,
            next_attempt_at,
        },
    )
    .await
}

/// The policy's reason to refuse delivering to `url` now (a literal
/// address, `localhost`, or a name resolving to an internal address).
async fn refused_target(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    if let Some((_, en)) = target::refused_literal(&parsed) {
        return Some(target::refusal_error(&en));
    }
    let host = parsed.host_str()?;
    if host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    match target::resolve_checked(host, false).await {
        Err(e) if e.starts_with("webhook_target_refused") => Some(e),
        // Unresolvable names fail in the request itself, as before.
        _ => None,
    }
}

fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    };
    // Without the URL: it may carry a token in its query.
    format!("{kind} error: {}", e.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_does_not() {
        let s = signature("secret", b"{\"a\":1}");
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64);
        assert!(verify("secret", b"{\"a\":1}", &s));
        assert!(!verify("secret", b"{\"a\":2}", &s));
        assert!(!verify("other", b"{\"a\":1}", &s));
    }

    #[test]
    fn known_hmac_vector() {
        // RFC 4231 test case 2.
        let s = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            s,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_grows_then_repeats_its_last_step() {
        let c = WebhookConfig::default();
        assert_eq!(c.backoff_after(1), Duration::from_secs(10));
        assert_eq!(c.backoff_after(2), Duration::from_secs(30));
        assert_eq!(c.backoff_after(50), Duration::from_secs(7200));
    }
}
