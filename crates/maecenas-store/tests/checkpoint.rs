//! SQLite: a writer's commits reach the database file through the background checkpointer,
//! long before the writer's own in-commit threshold (40,000 pages) would copy them.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use maecenas_testkit::TestDb;

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test]
async fn commits_are_copied_into_the_database_file_in_the_background() {
    let db = TestDb::sqlite().await;
    let file = Path::new(db.url.strip_prefix("sqlite://").unwrap()).to_owned();
    let wal = file.with_extension("db-wal");
    let before = size(&file);
    let now = chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap();

    let writer = db.store.own_connection();
    writer.create_fake_patrons("c", 20_000, now).await.unwrap();
    let logged = size(&wal);
    assert!(
        (2 << 20..40 << 20).contains(&logged),
        "the commit is in the log, under the writer's own threshold: {logged} bytes"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while size(&file) < before + (2 << 20) {
        assert!(
            Instant::now() < deadline,
            "the database file stayed at {} bytes (it was {before}; the log holds {logged})",
            size(&file)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
