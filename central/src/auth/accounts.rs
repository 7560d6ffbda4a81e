//! Account (JWT) auth: the installation's operator, its `MALLBOTS` account and the system
//! account, kept in `DIR/accounts.json` (0600, nkey seeds), and the server config that trusts
//! them (`operator`, `system_account`, a memory resolver preloaded with both accounts' JWTs).
//!
//! Under account auth the server config holds no users: a user's JWT, signed by the account
//! key, carries its permissions, and the server checks the signature at connect. Enrolling a
//! device therefore needs no reload; only revoking a device's old key (a rotation, a new role)
//! changes the account's JWT and so the config.

use std::collections::BTreeMap;
use std::path::Path;

use nkeys::KeyPair;
use serde::{Deserialize, Serialize};

use super::jwt::{account_jwt, operator_jwt, user_jwt, UserRights};
use super::{io_err, quote, AuthError, UserRecord};
use mallbots_wire::credentials::write_private;
use mallbots_wire::devices::device_permissions;

/// The file holding the operator's and the accounts' seeds.
pub const ACCOUNTS_FILE: &str = "accounts.json";
/// The name of the product's account.
pub const ACCOUNT_NAME: &str = "MALLBOTS";
/// The name of the system account.
pub const SYSTEM_ACCOUNT_NAME: &str = "SYS";

/// The operator and accounts of an installation under account auth.
#[derive(Clone, Serialize, Deserialize)]
pub struct Accounts {
    /// The operator's name.
    pub operator_name: String,
    /// The operator's nkey seed (`SO…`).
    pub operator_seed: String,
    /// The product account's nkey seed (`SA…`).
    pub account_seed: String,
    /// The system account's nkey seed (`SA…`).
    pub system_seed: String,
    /// When the accounts were made (unix seconds): their JWTs' issue time, until a revocation.
    pub created_at: i64,
    /// Revoked user keys: a JWT of that key issued at or before the time is refused.
    #[serde(default)]
    pub revocations: BTreeMap<String, i64>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("operator_name", &self.operator_name)
            .field("revocations", &self.revocations.len())
            .finish_non_exhaustive()
    }
}

/// Now, in unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn key(seed: &str, path: &Path) -> Result<KeyPair, AuthError> {
    KeyPair::from_seed(seed).map_err(|e| AuthError::BadRecord {
        path: path.display().to_string(),
        reason: format!("a seed does not parse ({e})"),
    })
}

fn signing(path: &Path) -> impl Fn(String) -> AuthError + '_ {
    move |reason| AuthError::BadRecord {
        path: path.display().to_string(),
        reason,
    }
}

impl Accounts {
    /// A new operator (named `operator_name`) with the two accounts.
    pub fn generate(operator_name: &str) -> Result<Self, AuthError> {
        let seed = |k: KeyPair| k.seed().map_err(|e| AuthError::Hash(e.to_string()));
        Ok(Self {
            operator_name: operator_name.to_owned(),
            operator_seed: seed(KeyPair::new_operator())?,
            account_seed: seed(KeyPair::new_account())?,
            system_seed: seed(KeyPair::new_account())?,
            created_at: now_unix(),
            revocations: BTreeMap::new(),
        })
    }

    /// `DIR/accounts.json`, if the directory uses account auth.
    pub fn load(dir: &Path) -> Result<Option<Self>, AuthError> {
        let path = dir.join(ACCOUNTS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e)),
        };
        let accounts: Self = serde_json::from_str(&text).map_err(|e| AuthError::BadRecord {
            path: path.display().to_string(),
            reason: format!("not an accounts file (line {})", e.line()),
        })?;
        for seed in [
            &accounts.operator_seed,
            &accounts.account_seed,
            &accounts.system_seed,
        ] {
            key(seed, &path)?;
        }
        Ok(Some(accounts))
    }

    /// Writes `DIR/accounts.json` (0600).
    pub fn save(&self, dir: &Path) -> Result<(), AuthError> {
        let path = dir.join(ACCOUNTS_FILE);
        let json = serde_json::to_string_pretty(self).map_err(|e| signing(&path)(e.to_string()))?;
        write_private(&path, format!("{json}\n").as_bytes()).map_err(io_err(&path))
    }

    fn path_hint() -> &'static Path {
        Path::new(ACCOUNTS_FILE)
    }

    /// The product account's public key (`A…`).
    pub fn account_public_key(&self) -> Result<String, AuthError> {
        Ok(key(&self.account_seed, Self::path_hint())?.public_key())
    }

    /// Revokes every JWT of `user_key` issued until now.
    pub fn revoke(&mut self, user_key: &str) {
        self.revocations.insert(user_key.to_owned(), now_unix());
    }

    /// A new user key and its JWT with `rights`, signed by the product account: `(public key,
    /// seed, jwt)`.
    pub fn issue_user(
        &self,
        name: &str,
        rights: &UserRights,
    ) -> Result<(String, String, String), AuthError> {
        let account = key(&self.account_seed, Self::path_hint())?;
        let user = KeyPair::new_user();
        let seed = user.seed().map_err(|e| AuthError::Hash(e.to_string()))?;
        let jwt = user_jwt(&account, &user.public_key(), name, rights, now_unix())
            .map_err(signing(Self::path_hint()))?;
        Ok((user.public_key(), seed, jwt))
    }

    /// The server config fragment: the operator, the system account and a memory resolver
    /// preloaded with both accounts. `central` and `devices` are listed in comments only (their
    /// rights are in their JWTs).
    pub fn render_config(
        &self,
        central: &UserRecord,
        devices: &[UserRecord],
    ) -> Result<String, AuthError> {
        let hint = Self::path_hint();
        let operator = key(&self.operator_seed, hint)?;
        let account = key(&self.account_seed, hint)?;
        let system = key(&self.system_seed, hint)?;
        // Deterministic: the same accounts render the same text (no reload needed), and a new
        // revocation gives a later issue time.
        let issued_at = self
            .revocations
            .values()
            .copied()
            .chain([self.created_at])
            .max()
            .unwrap_or(self.created_at);
        let op_jwt = operator_jwt(
            &operator,
            &self.operator_name,
            &system.public_key(),
            self.created_at,
        )
        .map_err(signing(hint))?;
        let account_jwt_text = account_jwt(
            &operator,
            &account.public_key(),
            ACCOUNT_NAME,
            true,
            &self.revocations,
            issued_at,
        )
        .map_err(signing(hint))?;
        let system_jwt = account_jwt(
            &operator,
            &system.public_key(),
            SYSTEM_ACCOUNT_NAME,
            false,
            &BTreeMap::new(),
            self.created_at,
        )
        .map_err(signing(hint))?;
        let mut out = String::from(
            "# Generated by mallbots-central (`auth init --accounts`, `enroll`): do not edit, it is\n\
             # re-rendered from DIR/accounts.json. Account (JWT) auth: the server trusts the\n\
             # operator below; users' JWTs, signed by the MALLBOTS account, carry their rights, so a\n\
             # new device needs no reload. Reload after a rotation (the account's revocations).\n",
        );
        out.push_str(&format!("operator: {}\n", quote(&op_jwt)));
        out.push_str(&format!("system_account: {}\n", system.public_key()));
        out.push_str("resolver: MEMORY\nresolver_preload: {\n");
        out.push_str(&format!(
            "  # {ACCOUNT_NAME}: central and the devices\n  {}: {}\n",
            account.public_key(),
            quote(&account_jwt_text)
        ));
        out.push_str(&format!(
            "  # {SYSTEM_ACCOUNT_NAME}\n  {}: {}\n}}\n",
            system.public_key(),
            quote(&system_jwt)
        ));
        out.push_str(&format!(
            "# users (rights in their JWTs): central {}\n",
            central.nkey.as_deref().unwrap_or("?")
        ));
        for d in devices {
            out.push_str(&format!(
                "#   {} {} {}{}\n",
                d.role,
                d.device,
                d.nkey
                    .as_deref()
                    .unwrap_or("(no key: enrolled before account auth)"),
                if d.stores.is_empty() {
                    String::new()
                } else {
                    format!(" stores {}", d.stores.join(","))
                }
            ));
        }
        Ok(out)
    }
}

/// The rights of a device's JWT: [`device_permissions`] for its role.
pub fn device_rights(record: &UserRecord) -> Option<UserRights> {
    let role = record.device_role()?;
    let p = device_permissions(&record.subject_root, &record.stream, &record.device, &role);
    Some(UserRights {
        publish: Some(p.publish),
        subscribe: Some(p.subscribe),
    })
}
