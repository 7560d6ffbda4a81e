//! The device an edge database belongs to ([`DeviceIdentity`]: id, role, stores, subject root),
//! kept WITH the database (table `device_identity`, migration set `edge_device`), and the
//! enrollment credentials file `mallbots-central enroll --out FILE` writes ([`Enrollment`]).
//!
//! A database with an identity is that device for every later open: [`crate::Edge::open`]
//! refuses a different device id or subject root (`device.mismatch`), takes the role from it,
//! and the use cases enforce it:
//! * a kiosk writes no catalog (`catalog.kiosk_forbidden`), nor does a depot desk
//!   (`catalog.depot_forbidden`);
//! * a manager with stores writes only its stores' catalog (`catalog.not_your_store`);
//! * a manager's or depot's edits need a signed-in user (`manager.user_required`), recorded in
//!   the events' metadata with the device id.
//!
//! A database without an identity (a development or test database, or one made before this
//! table existed) acts as any device, as before: the caller's [`crate::EdgeConfig`] decides.

use crate::config::{is_subject_token, Role};
use crate::error::EdgeError;
use crate::Edge;
use mallbots_domain::StoreId;
use mallbots_sync::store::Migration;
use mallbots_wire::subjects::{EventSubject, Subject};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The device identity's migrations (their own set, so read-model migrations of other sets
/// never collide with them).
pub const MIGRATIONS: &[Migration] = &[Migration {
    set: "edge_device",
    version: 1,
    name: "device_identity",
    sql: include_str!("0001_device_identity.sql"),
}];

/// Who this database is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// The device id (a subject token).
    #[serde(rename = "device")]
    pub device_id: String,
    /// kiosk, manager or depot.
    pub role: Role,
    /// A manager's enrolled stores (store ids); empty for a kiosk or a depot.
    pub stores: Vec<String>,
    /// The subject root its subjects live under.
    pub subject_root: String,
    /// The events stream, when known (from the enrollment).
    #[serde(rename = "stream", default, skip_serializing_if = "Option::is_none")]
    pub events_stream: Option<String>,
    /// The NATS URL from the enrollment, when it named one (credentials stripped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    /// The enrollment credentials file `sync` reads (its path only: the password stays there).
    #[serde(
        rename = "enrollment",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enrollment_path: Option<PathBuf>,
}

impl DeviceIdentity {
    /// An identity without enrollment.
    pub fn new(device_id: &str, role: Role, stores: Vec<String>, subject_root: &str) -> Self {
        Self {
            device_id: device_id.to_owned(),
            role,
            stores,
            subject_root: subject_root.to_owned(),
            events_stream: None,
            nats_url: None,
            enrollment_path: None,
        }
    }

    /// Checks the id and root are subject tokens, stores are store ids (or, for a manager, `*`:
    /// every store), and a manager has one.
    pub fn validate(&self) -> Result<(), EdgeError> {
        if !is_subject_token(&self.device_id) {
            return Err(EdgeError::invalid(
                "--id",
                "must be one subject token (no '.', '*', '>' or whitespace)",
            ));
        }
        if self.subject_root.is_empty() || !self.subject_root.split('.').all(is_subject_token) {
            return Err(EdgeError::invalid(
                "--subject-root",
                "must be dot-separated subject tokens",
            ));
        }
        for store in &self.stores {
            if self.role == Role::Manager && store == mallbots_domain::desk::ALL_STORES {
                continue; // the mall office's desk: every store
            }
            store.parse::<StoreId>().map_err(|_| {
                EdgeError::invalid("--store", format!("`{store}` is not a store id"))
            })?;
        }
        match self.role {
            Role::Manager if self.stores.is_empty() => Err(EdgeError::invalid(
                "--store",
                "a manager device needs at least one store",
            )),
            Role::Kiosk | Role::Depot if !self.stores.is_empty() => Err(EdgeError::invalid(
                "--store",
                format!("a {} device has no stores", self.role.as_str()),
            )),
            _ => Ok(()),
        }
    }
}

/// The credentials file `mallbots-central enroll --out FILE` writes (mode 0600):
/// `{"device","role","stores","user","password","subject_root","stream"[,"nats_url"]}`, or under
/// account auth `"jwt"` and `"seed"` instead of `"password"`. `Debug` never shows the secrets.
#[derive(Clone, Deserialize)]
pub struct Enrollment {
    /// The device id.
    pub device: String,
    /// `kiosk`, `manager` or `depot`.
    pub role: Role,
    /// A manager's stores.
    #[serde(default)]
    pub stores: Vec<String>,
    /// The NATS user.
    pub user: String,
    /// The NATS password (never logged, shown or stored in the database); empty under account
    /// auth.
    #[serde(default)]
    pub password: String,
    /// The user's JWT (account auth).
    #[serde(default)]
    pub jwt: Option<String>,
    /// The user's nkey seed (account auth; never logged, shown or stored in the database).
    #[serde(default)]
    pub seed: Option<String>,
    /// The subject root.
    #[serde(default = "default_root")]
    pub subject_root: String,
    /// The events stream.
    #[serde(default = "default_stream")]
    pub stream: String,
    /// The NATS URL, if the enrollment knew it.
    #[serde(default)]
    pub nats_url: Option<String>,
}

fn default_root() -> String {
    "mallbots".to_owned()
}

fn default_stream() -> String {
    "EVENTS".to_owned()
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("device", &self.device)
            .field("role", &self.role)
            .field("stores", &self.stores)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("subject_root", &self.subject_root)
            .field("stream", &self.stream)
            .field("nats_url", &self.nats_url.as_deref().map(redact_url))
            .finish()
    }
}

impl Enrollment {
    /// Reads and checks a credentials file. Errors (`device.invalid_enrollment`, or `io`) name
    /// the file and never quote its content.
    pub fn load(path: &Path) -> Result<Self, EdgeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| EdgeError::io(format!("read enrollment {}", path.display()), e))?;
        let enrollment: Enrollment = serde_json::from_str(&text).map_err(|e| {
            EdgeError::refused(
                "device.invalid_enrollment",
                format!(
                    "{} is not an enrollment file ({:?} error at line {}, column {}; expected \
                     the JSON `mallbots-central enroll --out FILE` writes)",
                    path.display(),
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let identity = enrollment.identity(path);
        identity.validate().map_err(|e| {
            EdgeError::refused(
                "device.invalid_enrollment",
                format!("{}: {e}", path.display()),
            )
        })?;
        let has_key = enrollment.jwt.as_deref().is_some_and(|j| !j.is_empty())
            && enrollment.seed.as_deref().is_some_and(|s| !s.is_empty());
        if enrollment.user.is_empty() || (enrollment.password.is_empty() && !has_key) {
            return Err(EdgeError::refused(
                "device.invalid_enrollment",
                format!(
                    "{}: no user, or neither a password nor a jwt and seed",
                    path.display()
                ),
            ));
        }
        Ok(enrollment)
    }

    /// The identity it describes, remembering `path` (made absolute) for sync.
    pub fn identity(&self, path: &Path) -> DeviceIdentity {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        DeviceIdentity {
            device_id: self.device.clone(),
            role: self.role,
            stores: self.stores.clone(),
            subject_root: self.subject_root.clone(),
            events_stream: Some(self.stream.clone()),
            nats_url: self.nats_url.as_deref().map(redact_url),
            enrollment_path: Some(path),
        }
    }
}

/// `url` (comma-separated) without any `user:password@` part: safe to show.
pub fn redact_url(url: &str) -> String {
    url.split(',')
        .map(|u| {
            let u = u.trim();
            let (scheme, rest) = match u.split_once("://") {
                Some((s, r)) => (Some(s), r),
                None => (None, u),
            };
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            match scheme {
                Some(s) => format!("{s}://{host}"),
                None => host.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The identity stored in an open database, if any.
pub(crate) fn load(conn: &Connection) -> Result<Option<DeviceIdentity>, EdgeError> {
    let row = conn
        .query_row(
            "SELECT device_id, role, stores, subject_root, events_stream, nats_url,
                    enrollment_path
             FROM device_identity WHERE singleton = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((device_id, role, stores, subject_root, events_stream, nats_url, enrollment)) = row
    else {
        return Ok(None);
    };
    let role = Role::parse(&role)
        .ok_or_else(|| EdgeError::invalid("device_identity.role", format!("`{role}`")))?;
    let stores: Vec<String> = serde_json::from_str(&stores)
        .map_err(|e| EdgeError::invalid("device_identity.stores", e.to_string()))?;
    Ok(Some(DeviceIdentity {
        device_id,
        role,
        stores,
        subject_root,
        events_stream,
        nats_url,
        enrollment_path: enrollment.map(PathBuf::from),
    }))
}

/// Writes (replaces) the identity.
pub(crate) fn save(
    conn: &Connection,
    identity: &DeviceIdentity,
    now: i64,
) -> Result<(), EdgeError> {
    let stores = serde_json::to_string(&identity.stores)
        .map_err(|e| EdgeError::invalid("stores", e.to_string()))?;
    conn.execute(
        "INSERT INTO device_identity (singleton, device_id, role, stores, subject_root,
             events_stream, nats_url, enrollment_path, initialized_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (singleton) DO UPDATE SET device_id = excluded.device_id,
             role = excluded.role, stores = excluded.stores,
             subject_root = excluded.subject_root, events_stream = excluded.events_stream,
             nats_url = excluded.nats_url, enrollment_path = excluded.enrollment_path,
             initialized_at = excluded.initialized_at",
        params![
            identity.device_id,
            identity.role.as_str(),
            stores,
            identity.subject_root,
            identity.events_stream,
            identity.nats_url,
            identity
                .enrollment_path
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            now
        ],
    )?;
    Ok(())
}

/// The identity stored in the database file at `path`, read without opening it for writing
/// (so it works while another process writes). `None` when the file, the table or the row is
/// missing.
pub fn stored_identity(path: &Path) -> Result<Option<DeviceIdentity>, EdgeError> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let table: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'device_identity'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match table {
        Some(_) => load(&conn),
        None => Ok(None),
    }
}

/// Outbox rows on another device's kiosk or desk subjects under `identity`'s root: events this
/// database wrote as someone else, which the new device could not publish.
fn foreign_device_events(conn: &Connection, identity: &DeviceIdentity) -> Result<i64, EdgeError> {
    let mut rows = conn.prepare("SELECT subject, count(*) FROM outbox GROUP BY subject")?;
    let mut total = 0;
    for row in rows.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (subject, n) = row?;
        let writer = Subject::parse_under(&identity.subject_root, &subject);
        if writer
            .as_ref()
            .and_then(EventSubject::writer_device)
            .is_some_and(|device| device != identity.device_id)
        {
            total += n;
        }
    }
    Ok(total)
}

/// `device.mismatch` when an opened configuration names another device or subject root than
/// the database's identity.
pub(crate) fn check_matches(
    identity: &DeviceIdentity,
    device_id: &str,
    subject_root: &str,
) -> Result<(), EdgeError> {
    if identity.device_id != device_id {
        return Err(EdgeError::refused(
            "device.mismatch",
            format!(
                "this database belongs to device `{}` ({}); device `{device_id}` was asked for \
                 (drop --device / MALLBOTS__DEVICE__ID, or use another --db)",
                identity.device_id,
                identity.role.as_str()
            ),
        ));
    }
    if identity.subject_root != subject_root {
        return Err(EdgeError::refused(
            "device.mismatch",
            format!(
                "this database's device `{}` uses subject root `{}`; `{subject_root}` was asked \
                 for (drop --subject-root)",
                identity.device_id, identity.subject_root
            ),
        ));
    }
    Ok(())
}

/// What a device may write to the catalog, captured before a command goes to the writer.
#[derive(Debug, Clone)]
pub(crate) struct CatalogGate {
    stores: Option<Vec<String>>,
}

impl CatalogGate {
    /// Whether `store`'s catalog may be written (`catalog.not_your_store` if not).
    pub(crate) fn check(&self, store: StoreId) -> Result<(), EdgeError> {
        match &self.stores {
            Some(stores) if !mallbots_domain::desk::manages_store(stores, store) => {
                Err(EdgeError::refused(
                    "catalog.not_your_store",
                    format!(
                        "store {store} is not one of this manager's stores ({})",
                        stores.join(", ")
                    ),
                ))
            }
            _ => Ok(()),
        }
    }
}

impl Edge {
    /// The identity stored with the database, if any.
    pub fn device(&self) -> Option<DeviceIdentity> {
        crate::engine::read_lock(&self.identity).clone()
    }

    /// The role in force: the stored identity's, else the configuration's.
    pub fn role(&self) -> Role {
        self.device().map_or(self.config().role, |d| d.role)
    }

    /// Stores `identity` as this database's device (`mallbots device init`). Its id and subject
    /// root must be the ones the edge was opened with (`device.mismatch`); re-initializing the
    /// same device replaces its role, stores and enrollment (a re-enrollment).
    pub fn init_device(&self, identity: DeviceIdentity) -> Result<DeviceIdentity, EdgeError> {
        identity.validate()?;
        check_matches(
            &identity,
            &self.config().device_id,
            &self.config().subject_root,
        )?;
        let now = self.now().0;
        let saved = identity.clone();
        self.with_writer(move |store, _| {
            let foreign = foreign_device_events(store.connection(), &saved)?;
            if foreign > 0 {
                return Err(EdgeError::refused(
                    "device.mismatch",
                    format!(
                        "this database already holds {foreign} events written as another device                          (on other devices' kiosk or desk subjects): initialize a fresh database                          as `{}`",
                        saved.device_id
                    ),
                ));
            }
            save(store.connection(), &saved, now)
        })?;
        *crate::engine::write_lock(&self.identity) = Some(identity.clone());
        Ok(identity)
    }

    /// The signed-in user stamped into event metadata.
    pub fn user(&self) -> Option<String> {
        crate::engine::read_lock(&self.user).clone()
    }

    /// Sets (or clears, on sign-out) the signed-in user stamped into later events' metadata.
    pub fn set_user(&self, user: Option<&str>) {
        *crate::engine::write_lock(&self.user) = user.map(str::to_owned);
    }

    /// `manager.user_required` when this is a manager or depot device and no user is signed in:
    /// every desk edit (catalog, pickup and stop requests) records who made it.
    pub fn require_user(&self) -> Result<(), EdgeError> {
        let desk = matches!(
            self.device().map(|d| d.role),
            Some(Role::Manager | Role::Depot)
        );
        if desk && self.user().is_none_or(|u| u.trim().is_empty()) {
            return Err(EdgeError::refused(
                "manager.user_required",
                "a manager device's edits need the signed-in user (--user or MALLBOTS__DEVICE__USER)",
            ));
        }
        Ok(())
    }

    /// For a desk request (pickup, stop prepared): a kiosk may not (`desk.kiosk_forbidden`), a
    /// manager or depot needs the signed-in user.
    pub fn authorize_desk_edit(&self) -> Result<(), EdgeError> {
        if self.device().is_some_and(|d| d.role == Role::Kiosk) {
            return Err(EdgeError::refused(
                "desk.kiosk_forbidden",
                "a kiosk device cannot make desk requests",
            ));
        }
        self.require_user()
    }

    /// Who may write the catalog: a kiosk or a depot never (`catalog.kiosk_forbidden`,
    /// `catalog.depot_forbidden`), a manager without a user not (`manager.user_required`), a
    /// manager with stores only those ([`CatalogGate::check`]).
    pub(crate) fn catalog_gate(&self) -> Result<CatalogGate, EdgeError> {
        let Some(device) = self.device() else {
            return Ok(CatalogGate { stores: None });
        };
        match device.role {
            Role::Kiosk => Err(EdgeError::refused(
                "catalog.kiosk_forbidden",
                format!(
                    "device `{}` is a kiosk: the catalog is written by a manager device",
                    device.device_id
                ),
            )),
            Role::Depot => Err(EdgeError::refused(
                "catalog.depot_forbidden",
                format!(
                    "device `{}` is a depot desk: the catalog is written by a manager device",
                    device.device_id
                ),
            )),
            Role::Manager => {
                self.require_user()?;
                Ok(CatalogGate {
                    stores: (!device.stores.is_empty()).then_some(device.stores),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_and_debug_hides_secrets() {
        assert_eq!(
            redact_url("nats://u:p@h:1, tls://h2:2"),
            "nats://h:1,tls://h2:2"
        );
        let e: Enrollment = serde_json::from_str(
            r#"{"device":"k1","role":"kiosk","stores":[],"user":"k1","password":"s3cret",
               "subject_root":"mallbots","stream":"EVENTS"}"#,
        )
        .unwrap();
        assert!(!format!("{e:?}").contains("s3cret"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k1.json");
        let keyed = r#"{"device":"k1","role":"kiosk","user":"k1","jwt":"eyJ.x.y",
               "seed":"SUsecretseed","subject_root":"mallbots","stream":"EVENTS"}"#;
        std::fs::write(&path, keyed).unwrap();
        let e = Enrollment::load(&path).expect("a JWT enrollment");
        assert!(!format!("{e:?}").contains("SUsecretseed"));
        std::fs::write(&path, keyed.replace(r#""seed":"SUsecretseed","#, "")).unwrap();
        let err = Enrollment::load(&path).expect_err("a jwt without its seed");
        assert_eq!(err.code(), "device.invalid_enrollment");
    }
}
