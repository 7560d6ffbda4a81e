//! The nats-server harness itself: a single JetStream server that keeps its data across a
//! restart on the same port, and a 3-node cluster that accepts an R3 stream once the meta leader
//! is elected and keeps serving with one node down.
//! NATS runs open: this tests the harness itself (restart, cluster), not the product.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use mallbots_tests::nats::{nats_server_binary, NatsCluster, NatsServer};

async fn connect_js(urls: Vec<String>) -> jetstream::Context {
    let client = async_nats::connect(urls).await.expect("connect");
    jetstream::new(client)
}

#[test]
fn binary_is_current() {
    let path = nats_server_binary().expect("a nats-server ≥ 2.10");
    assert!(path.to_string_lossy().contains("nats-server"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_server_restart_keeps_data_and_port() {
    let mut server = NatsServer::start().expect("start");
    let url = server.url();
    assert_ne!(server.port(), 0);
    let js = connect_js(vec![url.clone()]).await;
    js.create_stream(stream::Config {
        name: "H".into(),
        subjects: vec!["h.>".into()],
        ..Default::default()
    })
    .await
    .expect("create stream");
    for i in 0..10 {
        js.publish(format!("h.{i}"), "x".into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    server.stop();
    assert!(!server.is_running());
    server.restart().expect("restart");
    assert_eq!(server.url(), url, "restart reuses the port");

    let js = connect_js(vec![url.clone()]).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match js.get_stream("H").await {
            Ok(mut s) => {
                assert_eq!(s.info().await.expect("info").state.messages, 10);
                break;
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("stream lost after restart: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_of_three_serves_r3_streams_through_a_node_failure() {
    let mut cluster = NatsCluster::start(3).expect("cluster");
    assert_eq!(cluster.urls().len(), 3);
    for i in 0..3 {
        assert!(
            cluster.meta_leader(i).is_some(),
            "node {i} knows the meta leader"
        );
    }
    let js = connect_js(cluster.urls()).await;
    let mut s = js
        .create_stream(stream::Config {
            name: "R3".into(),
            subjects: vec!["r3.>".into()],
            num_replicas: 3,
            ..Default::default()
        })
        .await
        .expect("R3 stream right after start");
    assert_eq!(s.info().await.expect("info").config.num_replicas, 3);
    js.publish("r3.a", "1".into())
        .await
        .unwrap()
        .await
        .expect("ack");

    cluster.kill_node(2);
    // A majority remains: writes keep succeeding (retry while leadership moves).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let attempt = async { js.publish("r3.b", "2".into()).await?.await };
        match attempt.await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no write with 2 of 3 nodes: {e}"),
        }
    }
    cluster.restart_node(2).expect("restart node 2");
    assert!(cluster.meta_leader(2).is_some());
    let info = js
        .get_stream("R3")
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(info.state.messages, 2);
}
