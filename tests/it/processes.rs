//! Several processes on one database: case codes stay unique across processes.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::Arc;

use hdnd_hub::domain::CouncilProfile;
use hdnd_hub::{CaseFilter, Hub, ManualClock};

use crate::helpers::{TestDb, contract_tests, hub_on, morning, petition};

/// Set in a child process: the database it writes to.
const CHILD_DB_VAR: &str = "HDND_TEST_CHILD_DATABASE_URL";
const CASES_PER_CHILD: usize = 100;

contract_tests!(two_processes_create_two_hundred_cases_without_a_duplicate_code);

async fn two_processes_create_two_hundred_cases_without_a_duplicate_code(db: TestDb) {
    // Arrange: migrate once, as the first `hdnd serve` would.
    let (hub, _clock) = hub_on(&db).await;

    // Act: this test binary, run twice more, each running only the child below.
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "processes::case_creating_child",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(CHILD_DB_VAR, &db.url)
                // Kept apart: the children's own summary lines must not mix with ours.
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a child process failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Assert
    let filter = CaseFilter {
        limit: 1000,
        ..CaseFilter::default()
    };
    let cases = hub.store().list_cases(&filter).await.unwrap();
    let codes: HashSet<_> = cases.iter().map(|c| c.code.as_str().to_owned()).collect();
    assert_eq!(cases.len(), 2 * CASES_PER_CHILD);
    assert_eq!(codes.len(), 2 * CASES_PER_CHILD, "duplicate codes");
}

/// Not a test of its own: the body of each child process of the test above.
#[tokio::test]
#[ignore = "a child process of two_processes_create_two_hundred_cases_without_a_duplicate_code"]
async fn case_creating_child() {
    let Ok(url) = std::env::var(CHILD_DB_VAR) else {
        return;
    };
    let clock = Arc::new(ManualClock::new(morning()));
    let store = hdnd_hub::storage::open(&url, clock)
        .await
        .expect("child opens the store");
    let hub = Hub::new(store, Arc::new(CouncilProfile::demo()));
    for _ in 0..CASES_PER_CHILD {
        hub.submit_case(petition())
            .await
            .expect("child submits a case");
    }
}
