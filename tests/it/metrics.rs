//! The hub's figures for `/metrics` on both databases: open and overdue cases, and the
//! outbox by status and channel.

use chrono::Duration;
use hdnd_hub::notification::ChannelKind;
use hdnd_hub::notification::outbox::OutboxStatus;

use crate::helpers::{TestDb, contract_tests, notifying_hub, petition};

contract_tests!(the_figures_count_open_and_overdue_cases_and_the_outbox_by_channel);

async fn the_figures_count_open_and_overdue_cases_and_the_outbox_by_channel(db: TestDb) {
    // Arrange: one case received 60 days ago, past its council deadline; one received today.
    let (hub, clock) = notifying_hub(&db).await;
    hub.submit_case(petition()).await.unwrap();
    clock.advance(Duration::days(60));
    hub.submit_case(petition()).await.unwrap();

    // Act
    let figures = hub.figures().await.unwrap();

    // Assert
    assert_eq!((figures.cases_open, figures.cases_overdue), (2, 1));
    let queued_email: i64 = figures
        .outbox
        .iter()
        .filter(|(status, channel, _)| {
            *status == OutboxStatus::Queued && *channel == ChannelKind::Email
        })
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(queued_email, 2, "{:?}", figures.outbox);
}
