//! A device's enrollment file, as `mallbots-central enroll … --out FILE` writes it (mode 0600):
//! `{"device":"k1","role":"kiosk","stores":[],"user":"k1","password":"…","subject_root":"mallbots",
//! "stream":"EVENTS","nats_url":"nats://…"}`.
//!
//! The app reads the device id, role, stores, subject root, stream and NATS URL from it; the
//! NATS user and password stay in the file, which is handed to the sync engine as the device's
//! credentials (`NatsTarget::creds`). Nothing here ever prints the password: [`Enrollment`]'s
//! `Debug` hides it and a file that does not parse is reported by line and column only.

use crate::error::ApiError;
use crate::launch::KIOSK;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The code of an enrollment file that cannot be used.
pub const BAD_ENROLLMENT: &str = "enrollment.invalid";

/// What the app needs of an enrollment file (the password is read only to check it is there).
#[derive(Clone, Deserialize)]
pub struct Enrollment {
    /// The device id (one NATS subject token).
    pub device: String,
    /// `kiosk`, `manager` or `depot`.
    pub role: String,
    /// The stores of a manager desk.
    #[serde(default)]
    pub stores: Vec<String>,
    /// The device's NATS user.
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    password: String,
    /// Subject root, `mallbots` unless the mall uses another.
    #[serde(default = "default_root")]
    pub subject_root: String,
    /// The events stream, `EVENTS` unless the mall uses another.
    #[serde(default = "default_stream")]
    pub stream: String,
    /// The NATS server, when enrollment knew it.
    #[serde(default)]
    pub nats_url: Option<String>,
    /// Where it was read from (the credentials the sync engine opens).
    #[serde(skip)]
    pub path: PathBuf,
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
            .field("password", &"<hidden>")
            .field("subject_root", &self.subject_root)
            .field("stream", &self.stream)
            .field("nats_url", &self.nats_url)
            .field("path", &self.path)
            .finish()
    }
}

impl Enrollment {
    /// Reads and checks the enrollment file at `path` for the device of `window` (a kiosk
    /// window needs a `kiosk` enrollment, the manager window a `manager` or `depot` one).
    pub fn read(path: &Path, window: &str) -> Result<Self, ApiError> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ApiError::new(
                BAD_ENROLLMENT,
                format!("the enrollment file {shown} could not be read: {e}"),
            )
        })?;
        // serde's message may quote a value of the file: report the position only.
        let mut enrollment: Enrollment = serde_json::from_str(&text).map_err(|e| {
            ApiError::new(
                BAD_ENROLLMENT,
                format!(
                    "the enrollment file {shown} is not a device enrollment (JSON with device, \
                     role, user, password): {:?} error at line {}, column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        enrollment.path = path.to_owned();
        let allowed: &[&str] = if window == KIOSK {
            &["kiosk"]
        } else {
            &["manager", "depot"]
        };
        if !allowed.contains(&enrollment.role.as_str()) {
            return Err(ApiError::new(
                BAD_ENROLLMENT,
                format!(
                    "{shown} enrolls {} as a {} device; the {window} window needs a {} enrollment",
                    enrollment.device,
                    enrollment.role,
                    allowed.join(" or ")
                ),
            ));
        }
        if !mallbots_edge::config::is_subject_token(&enrollment.device) {
            return Err(ApiError::new(
                BAD_ENROLLMENT,
                format!("{shown}: the device id is not one NATS subject token"),
            ));
        }
        if enrollment.user.is_empty() || enrollment.password.is_empty() {
            return Err(ApiError::new(
                BAD_ENROLLMENT,
                format!("{shown} holds no NATS user and password"),
            ));
        }
        Ok(enrollment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::MANAGER;

    fn write(dir: &Path, name: &str, json: serde_json::Value) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, json.to_string()).unwrap();
        path
    }

    #[test]
    fn a_kiosk_enrollment_gives_the_device_and_hides_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "k1.json",
            serde_json::json!({"device": "k1", "role": "kiosk", "stores": [], "user": "k1",
                "password": "sup3r-secret-sup3r-secret-000000", "subject_root": "mallbots",
                "stream": "EVENTS", "nats_url": "nats://127.0.0.1:4222"}),
        );
        let e = Enrollment::read(&path, KIOSK).unwrap();
        assert_eq!((e.device.as_str(), e.role.as_str()), ("k1", "kiosk"));
        assert_eq!(e.nats_url.as_deref(), Some("nats://127.0.0.1:4222"));
        assert_eq!(e.path, path);
        assert!(!format!("{e:?}").contains("sup3r"), "{e:?}");
        let err = Enrollment::read(&path, MANAGER).unwrap_err();
        assert_eq!(err.code, BAD_ENROLLMENT);
        assert!(err.message.contains("manager or depot"), "{}", err.message);
    }

    #[test]
    fn a_manager_enrollment_has_defaults_and_broken_files_say_where_not_what() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "m.json",
            serde_json::json!({"device": "m1", "role": "manager", "stores": ["s1"],
                "user": "m1", "password": "pw"}),
        );
        let e = Enrollment::read(&path, MANAGER).unwrap();
        assert_eq!(e.stores, ["s1"]);
        assert_eq!(
            (e.subject_root.as_str(), e.stream.as_str()),
            ("mallbots", "EVENTS")
        );
        assert_eq!(
            Enrollment::read(&path, KIOSK).unwrap_err().code,
            BAD_ENROLLMENT
        );

        let broken = dir.path().join("broken.json");
        std::fs::write(
            &broken,
            r#"{"device": "m1", "role": "manager", "password": 12345678}"#,
        )
        .unwrap();
        let err = Enrollment::read(&broken, MANAGER).unwrap_err();
        assert_eq!(err.code, BAD_ENROLLMENT);
        assert!(!err.message.contains("12345678"), "{}", err.message);
        let missing = Enrollment::read(&dir.path().join("none.json"), KIOSK).unwrap_err();
        assert!(
            missing.message.contains("could not be read"),
            "{}",
            missing.message
        );
        let no_password = write(
            dir.path(),
            "np.json",
            serde_json::json!({"device": "k2", "role": "kiosk", "user": "k2"}),
        );
        let err = Enrollment::read(&no_password, KIOSK).unwrap_err();
        assert!(err.message.contains("no NATS user"), "{}", err.message);
    }
}
