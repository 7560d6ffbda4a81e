//! Device enrollment (docs/architecture.md §5): each device reads JetStream only through its two durable
//! pull consumers, `<device>-orders` and `<device>-catalog`, created here with fixed filters
//! (the device itself has no consumer-create rights):
//! * kiosk: `R.ev.catalog.>` and `R.ev.order.<device>.>`;
//! * manager: `R.ev.catalog.>`, and each managed store's `R.ev.store.<store>.orderline.>` plus
//!   `R.ev.depot.>` and its answers `R.ev.deskans.<device>.>`;
//! * depot: `R.ev.catalog.>`, and `R.ev.store.*.orderline.>`, `R.ev.depot.>`,
//!   `R.ev.deskans.<device>.>`.
//!
//! Enrollment also records the device in the `<prefix>devices` KV bucket (key = device id,
//! value [`DeviceEntry`]), which the request handlers read to authorize a device's requests.
//! Its NATS user and the server's authorization config are the auth directory's part
//! ([`crate::auth`]; `mallbots-central enroll --auth-dir DIR --out FILE` does both).
//!
//! The definitions come from `mallbots_wire::devices::device_consumers`, the same ones the
//! edge's engine expects. [`enroll`] is the library call (idempotent; re-enrolling updates the
//! filters); every replica also answers enrollment requests on `R.admin.enroll` (a queue
//! group, so one replica answers): JSON [`EnrollRequest`] in, [`Enrolled`] or
//! `{code, message}` out.

use async_nats::jetstream;
use futures::StreamExt;
use mallbots_domain::ErrorCode;
use mallbots_wire::devices::{consumer_config, device_consumers, DeviceRole};
use mallbots_wire::service_subjects::ServiceSubject;
use serde::{Deserialize, Serialize};

use crate::platform::service::Runtime;
use crate::platform::topology::{Bucket, StreamKind, Topology};
use crate::platform::HandlerRegistry;

/// Why an enrollment failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollmentError {
    /// The device id is not a usable NATS token.
    #[error("invalid device id {0:?}")]
    InvalidDevice(String),
    /// The role is not `kiosk`, `manager` or `depot`.
    #[error("unknown role {0:?} (kiosk, manager or depot)")]
    UnknownRole(String),
    /// A manager must manage at least one store.
    #[error("a manager device needs at least one store")]
    NoStores,
    /// The request is not JSON of the expected shape.
    #[error("bad enrollment request: {0}")]
    BadRequest(String),
    /// The devices registry could not be written.
    #[error("recording device {device} in bucket {bucket} failed: {reason}")]
    Registry {
        /// The device.
        device: String,
        /// The bucket.
        bucket: String,
        /// What the server said.
        reason: String,
    },
    /// JetStream refused to create a consumer.
    #[error("creating consumer {consumer} failed: {reason}")]
    Consumer {
        /// The durable name.
        consumer: String,
        /// What the server said.
        reason: String,
    },
}

impl ErrorCode for EnrollmentError {
    fn code(&self) -> &'static str {
        match self {
            EnrollmentError::InvalidDevice(_) => "enrollment.invalid_device",
            EnrollmentError::UnknownRole(_) => "enrollment.unknown_role",
            EnrollmentError::NoStores => "enrollment.no_stores",
            EnrollmentError::BadRequest(_) => "enrollment.bad_request",
            EnrollmentError::Consumer { .. } => "enrollment.consumer",
            EnrollmentError::Registry { .. } => "enrollment.registry",
        }
    }
}

/// An enrollment request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The device id.
    pub device: String,
    /// `kiosk`, `manager` or `depot`.
    pub role: String,
    /// The stores a manager device manages.
    #[serde(default)]
    pub stores: Vec<String>,
}

/// A device as the `<prefix>devices` bucket records it (key = device id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEntry {
    /// The device id.
    pub device: String,
    /// `kiosk`, `manager` or `depot`.
    pub role: String,
    /// A manager's stores (empty otherwise).
    #[serde(default)]
    pub stores: Vec<String>,
}

impl DeviceEntry {
    /// The entry for `device` with `role`.
    pub fn new(device: &str, role: &DeviceRole) -> Self {
        Self {
            device: device.to_owned(),
            role: role.name().to_owned(),
            stores: role.stores().to_vec(),
        }
    }

    /// The role it names (`None` if unknown).
    pub fn device_role(&self) -> Option<DeviceRole> {
        DeviceRole::parse(&self.role, self.stores.clone())
    }
}

/// The enrolled device `device`, from the devices bucket (`Ok(None)` if not enrolled).
pub async fn lookup_device(
    js: &jetstream::Context,
    topology: &Topology,
    device: &str,
) -> Result<Option<DeviceEntry>, EnrollmentError> {
    let bucket = topology.bucket_name(Bucket::Devices);
    let err = |reason: String| EnrollmentError::Registry {
        device: device.to_owned(),
        bucket: bucket.clone(),
        reason,
    };
    let kv = js
        .get_key_value(&bucket)
        .await
        .map_err(|e| err(e.to_string()))?;
    match kv.get(device).await.map_err(|e| err(e.to_string()))? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| err(e.to_string())),
    }
}

/// One consumer created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolledConsumer {
    /// Durable name.
    pub name: String,
    /// Its filter subjects.
    pub filters: Vec<String>,
}

/// What an enrollment created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    /// The device id.
    pub device: String,
    /// Its consumers.
    pub consumers: Vec<EnrolledConsumer>,
}

/// The role from its name (`kiosk` | `manager` | `depot`) and, for managers, their stores.
pub fn parse_role(role: &str, stores: Vec<String>) -> Result<DeviceRole, EnrollmentError> {
    match role {
        "manager" if stores.is_empty() => Err(EnrollmentError::NoStores),
        _ => DeviceRole::parse(role, stores)
            .ok_or_else(|| EnrollmentError::UnknownRole(role.to_owned())),
    }
}

fn valid_token(t: &str) -> bool {
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// Creates (or updates) `device`'s two durable consumers on the events stream and records the
/// device in the devices bucket.
pub async fn enroll(
    js: &jetstream::Context,
    topology: &Topology,
    device: &str,
    role: &DeviceRole,
) -> Result<Enrolled, EnrollmentError> {
    if !valid_token(device) {
        return Err(EnrollmentError::InvalidDevice(device.to_owned()));
    }
    let all_stores = role.stores() == [mallbots_domain::desk::ALL_STORES];
    if let Some(bad) = role
        .stores()
        .iter()
        .find(|s| !all_stores && !valid_token(s))
    {
        return Err(EnrollmentError::BadRequest(format!("store id {bad:?}")));
    }
    let stream_name = topology.stream_name(StreamKind::Events);
    let stream =
        js.get_stream_no_info(&stream_name)
            .await
            .map_err(|e| EnrollmentError::Consumer {
                consumer: stream_name.clone(),
                reason: e.to_string(),
            })?;
    let mut consumers = Vec::new();
    for spec in device_consumers(topology.root(), device, role) {
        stream
            .create_consumer(consumer_config(&spec))
            .await
            .map_err(|e| EnrollmentError::Consumer {
                consumer: spec.name.clone(),
                reason: e.to_string(),
            })?;
        consumers.push(EnrolledConsumer {
            name: spec.name,
            filters: spec.filters,
        });
    }
    let bucket = topology.bucket_name(Bucket::Devices);
    let registry_err = |reason: String| EnrollmentError::Registry {
        device: device.to_owned(),
        bucket: bucket.clone(),
        reason,
    };
    let kv = js
        .get_key_value(&bucket)
        .await
        .map_err(|e| registry_err(e.to_string()))?;
    let entry = serde_json::to_vec(&DeviceEntry::new(device, role))
        .map_err(|e| registry_err(e.to_string()))?;
    kv.put(device, entry.into())
        .await
        .map_err(|e| registry_err(e.to_string()))?;
    tracing::info!(device, role = role.name(), "device enrolled");
    Ok(Enrolled {
        device: device.to_owned(),
        consumers,
    })
}

/// `<root>.admin.enroll`.
pub fn enroll_subject(topology: &Topology) -> String {
    topology.service_subject(ServiceSubject::Enroll)
}

/// Handles one request body.
pub async fn handle_request(
    js: &jetstream::Context,
    topology: &Topology,
    body: &[u8],
) -> Result<Enrolled, EnrollmentError> {
    let request: EnrollRequest =
        serde_json::from_slice(body).map_err(|e| EnrollmentError::BadRequest(e.to_string()))?;
    let role = parse_role(&request.role, request.stores)?;
    enroll(js, topology, &request.device, &role).await
}

fn reply_body(result: Result<Enrolled, EnrollmentError>) -> Vec<u8> {
    let value = match result {
        Ok(enrolled) => serde_json::to_value(enrolled).unwrap_or_default(),
        Err(e) => serde_json::json!({"code": e.code(), "message": e.to_string()}),
    };
    value.to_string().into_bytes()
}

/// Adds the `R.admin.enroll` responder to every replica.
pub fn register(runtime: &Runtime, registry: &mut HandlerRegistry) {
    let rt = runtime.clone();
    registry.background("enrollment", async move {
        let subject = enroll_subject(&rt.topology);
        let mut shutdown = rt.shutdown.clone();
        let mut requests = match rt.client.queue_subscribe(subject.clone(), "enrollment".into()).await {
            Ok(sub) => sub,
            Err(e) => {
                tracing::error!(error = %e, subject, "enrollment responder not started");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = shutdown.changed() => {
                    if *shutdown.borrow() { return; }
                }
                message = requests.next() => {
                    let Some(message) = message else { return };
                    let Some(reply) = message.reply.clone() else { continue };
                    let body = reply_body(handle_request(&rt.js, &rt.topology, &message.payload).await);
                    if let Err(e) = rt.client.publish(reply, body.into()).await {
                        tracing::warn!(error = %e, "enrollment reply not sent");
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse() {
        assert_eq!(parse_role("kiosk", vec![]), Ok(DeviceRole::Kiosk));
        assert_eq!(parse_role("depot", vec![]), Ok(DeviceRole::Depot));
        assert_eq!(
            parse_role("manager", vec!["s1".into()]),
            Ok(DeviceRole::Manager {
                stores: vec!["s1".into()]
            })
        );
        let entry = DeviceEntry::new(
            "m1",
            &DeviceRole::Manager {
                stores: vec!["s1".into()],
            },
        );
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            serde_json::json!({"device": "m1", "role": "manager", "stores": ["s1"]})
        );
        assert_eq!(entry.device_role().unwrap().stores(), ["s1".to_owned()]);
        assert_eq!(
            parse_role("manager", vec![]),
            Err(EnrollmentError::NoStores)
        );
        assert_eq!(
            parse_role("robot", vec![]).unwrap_err().code(),
            "enrollment.unknown_role"
        );
    }
}
