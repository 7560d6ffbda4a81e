//! The single writer thread: blocking and async calls, concurrent clients, panics.

mod common;

use common::*;
use mallbots_domain::ErrorCode;
use mallbots_sync::store::*;
use std::thread;

fn spawn_writer() -> (tempfile::TempDir, StoreWriter) {
    let (dir, store) = sqlite_store();
    (dir, StoreWriter::spawn(store).unwrap())
}

#[test]
fn many_threads_share_one_writer() {
    let (_dir, writer) = spawn_writer();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let writer = writer.clone();
            thread::spawn(move || {
                for i in 0..25u64 {
                    // Each thread owns one stream and also races on a shared one.
                    writer
                        .call(move |s| s.append(basket_append(&format!("own{t}"), i, 1)))
                        .unwrap();
                    loop {
                        let result = writer.call(|s| {
                            let head = s.stream_version("basket", "shared")?;
                            s.append(basket_append("shared", head, 1))
                        });
                        match result {
                            Ok(_) => break,
                            Err(e) if e.is_concurrency() => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let reader = writer.call(|s| s.reader()).unwrap();
    assert_eq!(reader.stream_version("basket", "shared").unwrap(), 100);
    for t in 0..4 {
        assert_eq!(
            reader.stream_version("basket", &format!("own{t}")).unwrap(),
            25
        );
    }
    assert_eq!(reader.pending_outbox_count().unwrap(), 200);
}

#[test]
fn async_calls_do_not_block_the_runtime() {
    let (_dir, writer) = spawn_writer();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .call_async(move |s| s.append(basket_append(&format!("a{i}"), 0, 2)))
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().len(), 2);
        }
        let count = writer
            .call_async(|s| s.pending_outbox_count())
            .await
            .unwrap();
        assert_eq!(count, 20);
    });
}

#[test]
fn a_panicking_job_rolls_back_and_the_writer_keeps_serving() {
    let (_dir, writer) = spawn_writer();
    let err = writer
        .call(|s| s.append_with(basket_append("b1", 0, 1), |_, _| panic!("projection bug")))
        .unwrap_err();
    assert_eq!(err.code(), "store.writer_panicked");
    assert!(err.to_string().contains("projection bug"));
    assert_eq!(
        writer.call(|s| s.stream_version("basket", "b1")).unwrap(),
        0
    );
    writer
        .call(|s| s.append(basket_append("b1", 0, 1)))
        .unwrap();
    assert_eq!(
        writer.call(|s| s.stream_version("basket", "b1")).unwrap(),
        1
    );
}

#[test]
fn dropping_the_last_handle_closes_the_store() {
    let (dir, writer) = spawn_writer();
    writer
        .call(|s| s.append(basket_append("b1", 0, 1)))
        .unwrap();
    let clone = writer.clone();
    drop(writer);
    clone.call(|s| s.append(basket_append("b1", 1, 1))).unwrap();
    drop(clone);
    // The writer thread has joined and closed its connection: the file reopens cleanly.
    let store = SqliteStore::open(dir.path().join("edge.db"), &[]).unwrap();
    assert_eq!(store.stream_version("basket", "b1").unwrap(), 2);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn commits_announce_writes_and_not_reads() {
    let (_dir, writer) = spawn_writer();
    let mut commits = writer.commits();
    assert!(!commits.has_changed().unwrap());
    writer.call(|s| s.stream_version("basket", "b1")).unwrap();
    assert!(!commits.has_changed().unwrap(), "a read changes nothing");
    writer
        .call(|s| s.append(basket_append("b1", 0, 1)))
        .unwrap();
    assert!(commits.has_changed().unwrap(), "a write is announced");
    let first = *commits.borrow_and_update();
    writer
        .call(|s| s.append(basket_append("b1", 1, 2)))
        .unwrap();
    assert!(*commits.borrow_and_update() > first, "every write counts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let waiter = writer.clone();
    runtime.block_on(async move {
        let mut commits = waiter.commits();
        commits.borrow_and_update();
        let write = tokio::task::spawn_blocking(move || {
            waiter.call(|s| s.append(basket_append("b2", 0, 1)))
        });
        tokio::time::timeout(std::time::Duration::from_secs(5), commits.changed())
            .await
            .expect("woken by the write")
            .unwrap();
        write.await.unwrap().unwrap();
    });
}

#[test]
fn outbox_appends_announce_new_outbox_rows_only() {
    let (_dir, writer) = spawn_writer();
    let mut appends = writer.outbox_appends();
    let mut commits = writer.commits();
    writer
        .call(|s| s.append(basket_append("b1", 0, 1)))
        .unwrap();
    assert!(
        appends.has_changed().unwrap(),
        "an event to publish wakes the relay"
    );
    appends.borrow_and_update();
    commits.borrow_and_update();
    let pending = writer.call(|s| s.pending_outbox(10)).unwrap();
    let event_id = pending[0].event.event_id;
    writer.call(move |s| s.mark_published(event_id, 7)).unwrap();
    assert!(
        commits.has_changed().unwrap(),
        "the relay's ack is a commit"
    );
    assert!(
        !appends.has_changed().unwrap(),
        "but not an outbox append: the relay's own acks do not wake it"
    );
    let mut without_subject = basket_append("b2", 0, 1);
    without_subject.events[0].subject = None;
    writer.call(move |s| s.append(without_subject)).unwrap();
    assert!(
        !appends.has_changed().unwrap(),
        "an event with nothing to publish does not wake the relay"
    );
}
