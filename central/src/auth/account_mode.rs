//! [`AuthDir`] under account (JWT) auth: central's and the devices' users are nkeys with JWTs
//! signed by the product account ([`super::accounts`]). A new key revokes the one it replaces.

use nkeys::KeyPair;

use super::accounts::{device_rights, Accounts};
use super::jwt::UserRights;
use super::{
    central_record, create_private_dir, read_credentials, AuthDir, AuthError, DeviceIssue, Issued,
    UserRecord, CENTRAL_RECORD, CENTRAL_USER, DEVICES_DIR,
};
use mallbots_wire::credentials::DeviceCredentials;

/// The operator's name when `auth init --accounts` is given none.
pub const DEFAULT_OPERATOR: &str = "mallbots";

/// Whether `creds` holds the seed of the key `nkey`.
fn holds_key(creds: &DeviceCredentials, nkey: Option<&str>) -> bool {
    let public = creds
        .seed
        .as_deref()
        .and_then(|s| KeyPair::from_seed(s).ok())
        .map(|k| k.public_key());
    creds.uses_jwt() && public.is_some() && public.as_deref() == nkey
}

impl AuthDir {
    /// Creates (or keeps) the directory under account auth: the operator and accounts
    /// (`DIR/accounts.json`) and central's user, a key with every right (a new one with
    /// `rotate`, the old revoked). A directory that used passwords switches: central gets a
    /// key, and devices enrolled with a password must be enrolled again. Idempotent.
    pub fn init_accounts(
        &self,
        subject_root: &str,
        stream: &str,
        rotate: bool,
        operator_name: Option<&str>,
    ) -> Result<DeviceCredentials, AuthError> {
        create_private_dir(&self.dir)?;
        create_private_dir(&self.dir.join(DEVICES_DIR))?;
        let _lock = self.lock()?;
        let mut accounts = match Accounts::load(&self.dir)? {
            Some(a) => a,
            None => {
                let a = Accounts::generate(operator_name.unwrap_or(DEFAULT_OPERATOR))?;
                a.save(&self.dir)?;
                a
            }
        };
        let path = self.central_credentials_path();
        let record = self.central_record().ok();
        let current = path
            .exists()
            .then(|| read_credentials(&path))
            .transpose()?
            .filter(|c| !rotate && holds_key(c, record.as_ref().and_then(|r| r.nkey.as_deref())));
        let creds = match current {
            Some(c) => c,
            None => {
                let (nkey, seed, jwt) =
                    accounts.issue_user(CENTRAL_USER, &UserRights::default())?;
                if let Some(old) = record.as_ref().and_then(|r| r.nkey.clone()) {
                    accounts.revoke(&old);
                    accounts.save(&self.dir)?;
                }
                let creds = DeviceCredentials {
                    device: CENTRAL_USER.into(),
                    role: "central".into(),
                    stores: Vec::new(),
                    user: CENTRAL_USER.into(),
                    password: String::new(),
                    jwt: Some(jwt),
                    seed: Some(seed),
                    subject_root: subject_root.into(),
                    stream: stream.into(),
                    nats_url: None,
                };
                creds.write(&path).map_err(super::io_err(&path))?;
                let record = UserRecord {
                    nkey: Some(nkey),
                    ..central_record(&creds, String::new())
                };
                self.write_record(&self.dir.join(CENTRAL_RECORD), &record)?;
                creds
            }
        };
        self.render_locked()?;
        Ok(creds)
    }

    /// [`AuthDir::issue_device`] under account auth (called with the lock held): keeps the
    /// device's key when nothing changes and `out` (if given) holds it; else issues a new key
    /// and JWT with the role's rights into `out`, revoking the device's previous key.
    pub(super) fn issue_device_accounts(
        &self,
        issue: &DeviceIssue<'_>,
        existing: Option<UserRecord>,
        mut accounts: Accounts,
    ) -> Result<Issued, AuthError> {
        let mut record = issue.record();
        let old_key = existing.as_ref().and_then(|r| r.nkey.clone());
        let same_rights = existing.as_ref().is_some_and(|r| {
            (&r.role, &r.stores, &r.subject_root, &r.stream)
                == (
                    &record.role,
                    &record.stores,
                    &record.subject_root,
                    &record.stream,
                )
        });
        if let (Some(current), false, true, Some(_)) =
            (existing, issue.rotate, same_rights, &old_key)
        {
            let kept = match issue.out {
                None => None,
                Some(out) => {
                    let held = std::fs::read_to_string(out)
                        .ok()
                        .and_then(|t| DeviceCredentials::parse(&t).ok())
                        .filter(|c| holds_key(c, current.nkey.as_deref()));
                    if held.is_none() {
                        return Err(AuthError::PasswordKept {
                            device: issue.device.to_owned(),
                            out: out.display().to_string(),
                        });
                    }
                    held
                }
            };
            return Ok(Issued {
                record: current,
                credentials: kept,
                new_password: false,
                reload_needed: false,
            });
        }
        // A new key: its rights are in its JWT, which only the device's file holds.
        let Some(out) = issue.out else {
            return Err(AuthError::NoOut(issue.device.to_owned()));
        };
        let rights = device_rights(&record).ok_or_else(|| AuthError::BadRecord {
            path: self.device_record_path(issue.device).display().to_string(),
            reason: format!("role {:?} not understood", record.role),
        })?;
        let (nkey, seed, jwt) = accounts.issue_user(issue.device, &rights)?;
        let credentials = DeviceCredentials {
            jwt: Some(jwt),
            seed: Some(seed),
            ..record.credentials(issue.nats_url)
        };
        // The file first (a key nobody holds is useless), then the old key's revocation.
        credentials.write(out).map_err(super::io_err(out))?;
        if let Some(old) = &old_key {
            accounts.revoke(old);
            accounts.save(&self.dir)?;
        }
        record.nkey = Some(nkey);
        self.write_record(&self.device_record_path(issue.device), &record)?;
        self.render_locked()?;
        Ok(Issued {
            record,
            credentials: Some(credentials),
            new_password: true,
            reload_needed: old_key.is_some(),
        })
    }
}
