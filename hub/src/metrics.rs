//! What `/metrics` reports of the hub: the queues' depths and the open cases, read from the
//! database at each scrape (so every instance reports the same shared figures), and the
//! delivery latency this instance observed, as a Prometheus histogram.
//!
//! Only counts and durations: no address, no code, no name, never a label a person chose.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::Hub;
use crate::domain::InboundStatus;
use crate::error::Error;
use crate::notification::ChannelKind;
use crate::notification::outbox::OutboxStatus;

/// The upper bounds of the delivery-latency buckets, in seconds: from a prompt send to a
/// message held by pacing or quiet hours.
pub const LATENCY_BOUNDS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 300.0];

/// A cumulative histogram of one channel's delivery latency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations at or under each of [`LATENCY_BOUNDS`].
    pub buckets: [u64; LATENCY_BOUNDS.len()],
    pub count: u64,
    pub sum_secs: f64,
}

static DELIVERY_LATENCY: LazyLock<Mutex<BTreeMap<&'static str, Histogram>>> =
    LazyLock::new(Mutex::default);

/// Records that a message on `channel` was sent `latency` after it was due.
pub(crate) fn observe_delivery(channel: ChannelKind, latency: Duration) {
    let secs = latency.as_secs_f64();
    let mut all = DELIVERY_LATENCY.lock().unwrap_or_else(|e| e.into_inner());
    let histogram = all.entry(channel.as_str()).or_default();
    for (bucket, bound) in histogram.buckets.iter_mut().zip(LATENCY_BOUNDS) {
        if secs <= bound {
            *bucket += 1;
        }
    }
    histogram.count += 1;
    histogram.sum_secs += secs;
}

/// The delivery latency observed by this process, per channel.
pub fn delivery_latency() -> BTreeMap<&'static str, Histogram> {
    DELIVERY_LATENCY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The figures read from the database at a scrape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubFigures {
    pub outbox: Vec<(OutboxStatus, ChannelKind, i64)>,
    pub inbound: Vec<(InboundStatus, i64)>,
    pub cases_open: i64,
    /// Open cases past the date they are expected by, on the council-local today.
    pub cases_overdue: i64,
}

impl Hub {
    /// The queues and the open cases, now: three small queries.
    pub async fn figures(&self) -> Result<HubFigures, Error> {
        let today = self.profile().local_date(self.clock().now());
        let (cases_open, cases_overdue) = self.store().count_open_and_overdue(today).await?;
        Ok(HubFigures {
            outbox: self.store().count_outbox_by_channel().await?,
            inbound: self.store().count_inbound().await?,
            cases_open,
            cases_overdue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latency_histogram_is_cumulative() {
        observe_delivery(ChannelKind::Telegram, Duration::from_millis(80));
        observe_delivery(ChannelKind::Telegram, Duration::from_secs(3));

        let telegram = &delivery_latency()["telegram"];

        assert!(telegram.count >= 2);
        let at =
            |bound: f64| telegram.buckets[LATENCY_BOUNDS.iter().position(|b| *b == bound).unwrap()];
        assert!(at(0.1) >= 1 && at(5.0) >= 2 && at(0.05) <= at(0.1));
        assert!(
            telegram.buckets.windows(2).all(|w| w[0] <= w[1]),
            "cumulative"
        );
    }
}
