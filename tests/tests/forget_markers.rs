//! Forgetting a finished KV key (`mallbots_central::platform::forget`, docs/architecture.md §8
//! P7) against a real nats-server: on a bucket created as central creates `sagas` and `lists`
//! (per-message TTL), the purge marker expires; on a bucket created by an older version
//! (no per-message TTL) the purge still happens, with a marker that stays; a key written since
//! is kept. The server runs without authorization: what is tested is the KV's behaviour, and
//! central's own buckets are covered under the product's authorization by `central_cluster`.

use async_nats::jetstream::{self, kv};
use mallbots_central::platform::forget::{purge_after, Forgetting};
use mallbots_tests::nats::NatsServer;
use std::time::{Duration, Instant};

const FORGETTING: Forgetting = Forgetting {
    grace: Duration::from_millis(50),
    marker_ttl: Duration::from_secs(1),
};

async fn bucket(js: &jetstream::Context, name: &str, markers: bool) -> kv::Store {
    js.create_key_value(kv::Config {
        bucket: format!("fm{}_{name}", rand::random::<u32>()),
        history: 1,
        limit_markers: markers.then_some(Duration::from_secs(1)),
        ..Default::default()
    })
    .await
    .expect("bucket")
}

/// Whether `key` has any entry (a value or a marker) within `within`.
async fn entry_gone(store: &kv::Store, key: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if store.entry(key).await.expect("entry").is_none() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_forgotten_keys_marker_expires_where_the_bucket_allows_it_and_a_rewrite_wins() {
    let server = NatsServer::shared();
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client);

    // As central creates `sagas` and `lists`: the key goes, then its marker.
    let current = bucket(&js, "ttl", true).await;
    let revision = current.put("k", "done".into()).await.unwrap();
    purge_after(&current, "k", revision, FORGETTING)
        .await
        .unwrap();
    assert_eq!(current.get("k").await.unwrap(), None);
    let marker = current.entry("k").await.unwrap().expect("a purge marker");
    assert_eq!(marker.operation, kv::Operation::Purge);
    assert!(
        entry_gone(&current, "k", Duration::from_secs(5)).await,
        "the marker expires"
    );

    // A bucket from before per-message TTL: the key is purged all the same, its marker stays.
    let older = bucket(&js, "plain", false).await;
    let revision = older.put("k", "done".into()).await.unwrap();
    purge_after(&older, "k", revision, FORGETTING)
        .await
        .unwrap();
    assert_eq!(older.get("k").await.unwrap(), None);
    assert!(
        !entry_gone(&older, "k", Duration::from_millis(2_500)).await,
        "the marker stays"
    );

    // Written again during the grace: the purge expecting the old revision fails, the key stays.
    let revision = current.put("again", "done".into()).await.unwrap();
    let purge = purge_after(&current, "again", revision, FORGETTING);
    let rewrite = async {
        current.put("again", "reopened".into()).await.unwrap();
    };
    let (purged, ()) = tokio::join!(purge, rewrite);
    assert!(purged.is_err(), "a later write wins");
    assert_eq!(
        current.get("again").await.unwrap().as_deref(),
        Some(&b"reopened"[..])
    );
}
