//! The retry delay shared by the delivery and inbound workers and the Telegram poller.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff with jitter: `base` doubled for each attempt after the first, at most
/// `max`, then a random half to all of it (so that rows failed together do not retry together),
/// never before `floor` (a channel's `retry_after`).
pub fn backoff(
    base: Duration,
    max: Duration,
    attempts: u32,
    floor: Option<Duration>,
) -> chrono::Duration {
    let doubled = base
        .max(Duration::from_millis(1))
        .saturating_mul(1 << attempts.saturating_sub(1).min(20))
        .min(max.max(Duration::from_secs(1)));
    let jittered = doubled.mul_f64(rand::rng().random_range(0.5..=1.0));
    let delay = floor.map_or(jittered, |after| jittered.max(after));
    chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_with_jitter_up_to_the_maximum_and_never_before_the_floor() {
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        for attempts in 1..=10 {
            let delay = backoff(base, max, attempts, None).to_std().unwrap();
            let full = (base * (1 << (attempts - 1))).min(max);
            assert!(delay >= full / 2 && delay <= full, "{attempts}: {delay:?}");
        }
        let floored = backoff(base, max, 1, Some(Duration::from_secs(30)));
        assert!(floored >= chrono::Duration::seconds(30));
    }
}
