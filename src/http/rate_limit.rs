//! Request rate per API token: a runaway script is slowed down with 429
//! before it crowds out everyone else. Kept in memory per replica (a limit
//! of N per minute allows at most N per minute per replica); sign-in
//! failures, which need a limit across replicas, are counted in the
//! database instead (`storage::repo::login_attempts`).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// Requests per minute per token when `DUIJIE_TOKEN_RATE_PER_MINUTE` is not
/// set: far above what a person or a well-behaved integration sends.
pub const DEFAULT_PER_MINUTE: u32 = 6000;

pub struct TokenLimiter {
    limiter: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl TokenLimiter {
    /// `None` when `per_minute` is 0 (no limit). The burst allowed is a
    /// tenth of a minute's worth.
    pub fn new(per_minute: u32) -> Option<TokenLimiter> {
        let rate = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new((per_minute / 10).max(1)).unwrap_or(NonZeroU32::MIN);
        Some(TokenLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        })
    }

    /// From `DUIJIE_TOKEN_RATE_PER_MINUTE` (a number; 0 turns the limit off).
    pub fn from_env() -> Option<TokenLimiter> {
        let per_minute = std::env::var("DUIJIE_TOKEN_RATE_PER_MINUTE")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(DEFAULT_PER_MINUTE);
        Self::new(per_minute)
    }

    /// `Err(wait)` when the token has used up its rate.
    pub fn check(&self, token_id: i64) -> Result<(), Duration> {
        self.limiter
            .check_key(&token_id)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refused_after_its_burst_and_others_are_not() {
        let Some(l) = TokenLimiter::new(60) else {
            panic!("a limit of 60 per minute")
        };
        // Burst of 6 (a tenth of a minute's worth), then refused.
        for _ in 0..6 {
            assert!(l.check(1).is_ok());
        }
        let wait = l.check(1).err();
        assert!(
            wait.is_some_and(|w| w <= Duration::from_secs(1)),
            "{wait:?}"
        );
        assert!(l.check(2).is_ok(), "another token has its own budget");
        assert!(TokenLimiter::new(0).is_none(), "0 turns the limit off");
    }
}
