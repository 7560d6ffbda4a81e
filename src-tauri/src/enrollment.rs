//! A device's enrollment file, as `mallbots-central enroll … --out FILE` writes it (mode 0600):
//! `{"device":"k1","role":"kiosk","stores":[],"user":"k1","jwt":"…","seed":"…","subject_root":"mallbots",
//! "stream":"EVENTS","nats_url":"nats://…"}` (account auth; a `"password"` instead of the JWT and
//! seed under password auth).
//!
//! Read with the edge's own reader ([`mallbots_edge::Enrollment::load`]), so the app and the
//! `mallbots` CLI accept the same files, then checked against the window it is for. The app takes
//! the device's identity from it (stored with the database, as `mallbots device init` does); the
//! NATS secrets (key seed or password) stay in the file, which is handed to the sync engine as the
//! device's credentials. Nothing here ever prints them: a file that does not parse is reported by
//! line and column only.

use crate::error::ApiError;
use crate::launch::KIOSK;
use mallbots_edge::{DeviceIdentity, EdgeError, Role};
use std::path::{Path, PathBuf};

/// The code of an enrollment file that cannot be used.
pub const BAD_ENROLLMENT: &str = "enrollment.invalid";

/// A checked enrollment file for one of the app's windows.
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// What the file says (its `Debug` hides the password).
    pub file: mallbots_edge::Enrollment,
    /// Where it was read from (the credentials the sync engine opens).
    pub path: PathBuf,
}

impl Enrollment {
    /// Reads and checks the enrollment file at `path` for the device of `window` (a kiosk
    /// window needs a `kiosk` enrollment, the manager window a `manager` or `depot` one).
    pub fn read(path: &Path, window: &str) -> Result<Self, ApiError> {
        let shown = path.display();
        let file = mallbots_edge::Enrollment::load(path).map_err(|e| match e {
            EdgeError::Io { source, .. } => ApiError::new(
                BAD_ENROLLMENT,
                format!("the enrollment file {shown} could not be read: {source}"),
            ),
            other => ApiError::new(BAD_ENROLLMENT, other.to_string()),
        })?;
        let allowed: &[Role] = if window == KIOSK {
            &[Role::Kiosk]
        } else {
            &[Role::Manager, Role::Depot]
        };
        if !allowed.contains(&file.role) {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            return Err(ApiError::new(
                BAD_ENROLLMENT,
                format!(
                    "{shown} enrolls {} as a {} device; the {window} window needs a {} enrollment",
                    file.device,
                    file.role.as_str(),
                    names.join(" or ")
                ),
            ));
        }
        Ok(Self {
            file,
            path: path.to_owned(),
        })
    }

    /// The device id.
    pub fn device(&self) -> &str {
        &self.file.device
    }

    /// The identity to store with the device's database.
    pub fn identity(&self) -> DeviceIdentity {
        self.file.identity(&self.path)
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
        assert_eq!((e.device(), e.file.role.as_str()), ("k1", "kiosk"));
        assert_eq!(e.file.nats_url.as_deref(), Some("nats://127.0.0.1:4222"));
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
            serde_json::json!({"device": "m1", "role": "manager", "stores": ["0192f0c0-0000-7000-8000-000000000001"],
                "user": "m1", "password": "pw"}),
        );
        let e = Enrollment::read(&path, MANAGER).unwrap();
        assert_eq!(e.file.stores, ["0192f0c0-0000-7000-8000-000000000001"]);
        assert_eq!(
            (e.file.subject_root.as_str(), e.file.stream.as_str()),
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
        assert_eq!(err.code, BAD_ENROLLMENT);
        assert!(
            err.message
                .contains("np.json: no user, or neither a password nor a jwt and seed"),
            "{}",
            err.message
        );
        let empty_password = write(
            dir.path(),
            "ep.json",
            serde_json::json!({"device": "k2", "role": "kiosk", "user": "k2", "password": ""}),
        );
        let err = Enrollment::read(&empty_password, KIOSK).unwrap_err();
        assert!(
            err.message
                .contains("no user, or neither a password nor a jwt and seed"),
            "{}",
            err.message
        );
        // Account auth: a JWT without its seed is no enrollment either.
        let half_key = write(
            dir.path(),
            "hk.json",
            serde_json::json!({"device": "k2", "role": "kiosk", "user": "k2", "jwt": "eyJ.a.b"}),
        );
        let err = Enrollment::read(&half_key, KIOSK).unwrap_err();
        assert_eq!(err.code, BAD_ENROLLMENT);
    }
}
