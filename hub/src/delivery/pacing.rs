//! Pacing: how fast a channel may send, overall and per destination, held across every hub
//! instance on the database.
//!
//! In-memory token buckets would double the rate with two instances, so each send reserves a
//! slot in the database: for every pacing key (the channel overall, the chat, the group) the
//! row's `next_at` moves on by the key's interval, and the send waits until the latest of its
//! reserved slots. Intervals carry a small margin, so that network jitter cannot push two
//! sends into one of the provider's counting windows.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ChannelKind;
pub use crate::notification::pacing::{PacingSlot, Reservation};

/// `[delivery.pacing.<channel>]`: limits of one channel; 0 means none.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelPacing {
    /// Messages per second over the whole channel.
    pub overall_per_sec: f64,
    /// Messages per second to one destination (a Telegram private chat).
    pub per_destination_per_sec: f64,
    /// Messages per minute to one group (a Telegram chat with a negative id).
    pub per_group_per_min: f64,
}

impl ChannelPacing {
    /// Telegram's published limits: 30 messages a second overall, 1 a second per chat, 20 a
    /// minute per group.
    pub fn telegram() -> Self {
        Self {
            overall_per_sec: 30.0,
            per_destination_per_sec: 1.0,
            per_group_per_min: 20.0,
        }
    }

    pub fn none() -> Self {
        Self {
            overall_per_sec: 0.0,
            per_destination_per_sec: 0.0,
            per_group_per_min: 0.0,
        }
    }
}

impl Default for ChannelPacing {
    fn default() -> Self {
        Self::none()
    }
}

/// `[delivery.pacing]`
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PacingSettings {
    pub telegram: ChannelPacing,
    pub email: ChannelPacing,
}

impl Default for PacingSettings {
    fn default() -> Self {
        Self {
            telegram: ChannelPacing::telegram(),
            email: ChannelPacing::none(),
        }
    }
}

impl PacingSettings {
    /// Every rate is a finite number, 0 or more (0 means no limit).
    pub fn check(&self) -> Result<(), crate::config::InvalidSetting> {
        let rules = [
            (
                "delivery.pacing.telegram.overall_per_sec",
                self.telegram.overall_per_sec,
            ),
            (
                "delivery.pacing.telegram.per_destination_per_sec",
                self.telegram.per_destination_per_sec,
            ),
            (
                "delivery.pacing.telegram.per_group_per_min",
                self.telegram.per_group_per_min,
            ),
            (
                "delivery.pacing.email.overall_per_sec",
                self.email.overall_per_sec,
            ),
            (
                "delivery.pacing.email.per_destination_per_sec",
                self.email.per_destination_per_sec,
            ),
            (
                "delivery.pacing.email.per_group_per_min",
                self.email.per_group_per_min,
            ),
        ];
        for (key, rate) in rules {
            if !rate.is_finite() || rate < 0.0 {
                return Err(crate::config::InvalidSetting::new(
                    key,
                    format!("`{rate}` is not a rate: use a number of 0 or more (0: no limit)"),
                ));
            }
        }
        Ok(())
    }
}

/// 5% slower than the limit: room for network jitter, which can bring sends closer together
/// on arrival than they left (50 ms in each second of a per-second limit), at 95% of the
/// limit's throughput (`benches/telegram_pacing.rs`: 28.6 of Telegram's 30 a second).
const MARGIN: f64 = 1.05;

/// The least time between two sends under a key, in whole milliseconds (at least one): the
/// precision SQLite stores instants in, so that both backends pace alike (SQLite used to cut
/// 36.7 ms to 36).
fn interval(per_sec: f64) -> Option<Duration> {
    (per_sec > 0.0).then(|| {
        let millis = (MARGIN * 1_000.0 / per_sec).round().max(1.0);
        Duration::from_millis(millis as u64)
    })
}

impl PacingSettings {
    /// The pacing keys a message to `address` on `channel` reserves.
    pub fn slots(&self, channel: ChannelKind, address: &str) -> Vec<PacingSlot> {
        let rule = match channel {
            ChannelKind::Telegram => &self.telegram,
            ChannelKind::Email => &self.email,
        };
        // Telegram groups and channels have negative chat ids.
        let group = channel == ChannelKind::Telegram && address.starts_with('-');
        let per_destination = if group {
            interval(rule.per_group_per_min / 60.0)
        } else {
            interval(rule.per_destination_per_sec)
        };
        let mut slots = Vec::new();
        if let Some(every) = interval(rule.overall_per_sec) {
            slots.push(PacingSlot {
                key: format!("{channel}"),
                every,
                destination: false,
            });
        }
        if let Some(every) = per_destination {
            // The table is shared and long-lived: it names a chat by a digest, not its id.
            slots.push(PacingSlot {
                key: format!("{channel}:{}", crate::notification::address_digest(address)),
                every,
                destination: true,
            });
        }
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_paces_overall_per_chat_and_per_group() {
        let pacing = PacingSettings::default();
        let chat = pacing.slots(ChannelKind::Telegram, "100200300");
        assert_eq!(chat.len(), 2);
        assert_eq!(
            (chat[0].key.as_str(), chat[0].destination),
            ("telegram", false)
        );
        assert_eq!(
            chat[0].every,
            Duration::from_millis(35),
            "30 a second with a 5% margin, in whole milliseconds"
        );
        assert_eq!(
            (chat[1].key.as_str(), chat[1].destination),
            (
                format!(
                    "telegram:{}",
                    crate::notification::address_digest("100200300")
                )
                .as_str(),
                true
            )
        );
        assert!(!chat[1].key.contains("100200300"));
        assert_eq!(chat[1].every, Duration::from_millis(1_050));
        let group = pacing.slots(ChannelKind::Telegram, "-100123");
        assert_eq!(
            group[1].every,
            Duration::from_millis(3_150),
            "20 a minute is one per 3 s, with the margin"
        );
        assert!(pacing.slots(ChannelKind::Email, "a@example.org").is_empty());
    }

    #[test]
    fn intervals_are_whole_milliseconds_and_never_zero() {
        let rule = |overall_per_sec| PacingSettings {
            email: ChannelPacing {
                overall_per_sec,
                ..ChannelPacing::none()
            },
            ..PacingSettings::default()
        };
        let every = |rate| rule(rate).slots(ChannelKind::Email, "a@example.org")[0].every;
        // 1.05 / 7 s is 150 ms; 1.05 / 9 s is 116.67 ms, rounded to 117.
        assert_eq!(every(7.0), Duration::from_millis(150));
        assert_eq!(every(9.0), Duration::from_millis(117));
        assert_eq!(
            every(5_000.0),
            Duration::from_millis(1),
            "a rate beyond 1,000 a second is held to one a millisecond, not unlimited"
        );
    }
}
