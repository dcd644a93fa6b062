//! `sqlx::migrate!` embeds the migration files when the hub compiles, and cargo does not watch
//! them by itself: without this, an edited or added migration would leave a stale binary.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
