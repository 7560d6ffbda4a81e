//! The scale row of the bench pass (issue 13, docs/architecture.md §8): starts a 3-node
//! nats-server cluster on loopback and runs `p5_saga --scale` against it (one, two and three
//! central replicas on R3 streams and buckets), passing its output through; the cluster stops
//! when it ends.
//!
//! `cargo run --release -p mallbots-tests --example scale_cluster -- P5_SAGA_BINARY [ORDERS]`
//! (default 500 orders). The cluster runs without authorization, as P5's single server does:
//! the figure is the saga's cost, and the product's authorization adds no JetStream operation.

use anyhow::{bail, Context, Result};
use mallbots_tests::nats::NatsCluster;
use std::process::Command;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(p5) = args.next() else {
        bail!("usage: scale_cluster P5_SAGA_BINARY [ORDERS]");
    };
    let orders = args.next().unwrap_or_else(|| "500".to_owned());
    let cluster = NatsCluster::start(3).context("start a 3-node cluster")?;
    let status = Command::new(&p5)
        .args([cluster.url(), orders, "64".to_owned(), "--scale".to_owned()])
        .status()
        .with_context(|| format!("run {p5}"))?;
    drop(cluster);
    if !status.success() {
        bail!("{p5} --scale: {status}");
    }
    Ok(())
}
