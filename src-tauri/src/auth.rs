//! Store-manager sign-in: the password is kept only as an argon2id hash (PHC string), and a user
//! who fails too often in a row is locked out for a while.
//!
//! The account comes from the launch options: either a ready PHC hash
//! (`MALLBOTS__MANAGER__PASSWORD_HASH`) or a password that is hashed once at start-up and then
//! dropped. The lockout clock is an argument (`now`), so the policy is tested without waiting.

use crate::error::{codes, ApiError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How many failures in a row lock a user out, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that trigger the lockout.
    pub max_failures: u32,
    /// How long the user is locked out.
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lock_for: Duration::from_secs(60),
        }
    }
}

/// Failures of one user name since its last success.
#[derive(Debug, Default, Clone, Copy)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

/// The manager account and the failed attempts per user name.
#[derive(Debug)]
pub struct ManagerAccount {
    user: String,
    phc: Phc,
    policy: LockoutPolicy,
    failures: Mutex<HashMap<String, Failures>>,
}

/// The stored hash, or the thread still computing it (hashing takes a while by design, and the
/// app's start must not wait for it).
#[derive(Debug)]
struct Phc {
    ready: OnceLock<String>,
    pending: Mutex<Option<JoinHandle<Result<String, ApiError>>>>,
}

impl Phc {
    fn ready(phc: String) -> Self {
        Self {
            ready: OnceLock::from(phc),
            pending: Mutex::new(None),
        }
    }

    /// The hash, waiting for the hashing thread the first time.
    fn get(&self) -> Result<&str, ApiError> {
        if let Some(phc) = self.ready.get() {
            return Ok(phc);
        }
        let mut pending = self
            .pending
            .lock()
            .map_err(|_| ApiError::internal("the password hash lock was poisoned"))?;
        if let Some(handle) = pending.take() {
            let phc = handle
                .join()
                .map_err(|_| ApiError::internal("hashing the password panicked"))??;
            let _ = self.ready.set(phc);
        }
        self.ready
            .get()
            .map(String::as_str)
            .ok_or_else(|| ApiError::internal("the manager password could not be hashed"))
    }
}

/// Hashes a password with argon2id and a random salt; returns the PHC string.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::internal(format!("could not hash the password: {e}")))
}

impl ManagerAccount {
    /// An account whose password is already hashed (a PHC string such as `$argon2id$v=19$…`).
    pub fn from_hash(user: &str, phc: &str, policy: LockoutPolicy) -> Result<Self, ApiError> {
        PasswordHash::new(phc)
            .map_err(|e| ApiError::invalid(format!("the manager password hash is invalid: {e}")))?;
        Ok(Self {
            user: user.trim().to_owned(),
            phc: Phc::ready(phc.to_owned()),
            policy,
            failures: Mutex::default(),
        })
    }

    /// An account for a clear-text password, hashed on a background thread (the first sign-in
    /// waits for it) and not kept.
    pub fn from_password(
        user: &str,
        password: &str,
        policy: LockoutPolicy,
    ) -> Result<Self, ApiError> {
        let password = password.to_owned();
        let handle = std::thread::Builder::new()
            .name("hash-password".into())
            .spawn(move || hash_password(&password))
            .map_err(|e| ApiError::internal(format!("could not start hashing: {e}")))?;
        Ok(Self {
            user: user.trim().to_owned(),
            phc: Phc {
                ready: OnceLock::new(),
                pending: Mutex::new(Some(handle)),
            },
            policy,
            failures: Mutex::default(),
        })
    }

    /// Checks `user` / `password` at time `now`: `locked_out` while a lockout lasts (the
    /// password is not even checked), `bad_credentials` on a mismatch (counted), `Ok` on a match
    /// (which clears the count). Returns the signed-in user name.
    pub fn verify(&self, user: &str, password: &str, now: Instant) -> Result<String, ApiError> {
        let user = user.trim();
        let key = user.to_lowercase();
        if let Some(until) = self.failures()?.get(&key).and_then(|f| f.locked_until) {
            if now < until {
                let secs = (until - now).as_secs().max(1);
                return Err(ApiError::new(
                    codes::LOCKED_OUT,
                    format!("Too many failed sign-ins. Try again in {secs} s."),
                ));
            }
        }
        // Always run the hash check, so a wrong user name takes as long as a wrong password.
        let password_ok = PasswordHash::new(self.phc.get()?)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        let mut failures = self.failures()?;
        if password_ok && user == self.user {
            failures.remove(&key);
            return Ok(user.to_owned());
        }
        let entry = failures.entry(key).or_default();
        if entry.locked_until.is_some_and(|until| now >= until) {
            *entry = Failures::default();
        }
        entry.count += 1;
        if entry.count >= self.policy.max_failures {
            entry.locked_until = Some(now + self.policy.lock_for);
            return Err(ApiError::new(
                codes::LOCKED_OUT,
                format!(
                    "Too many failed sign-ins. Try again in {} s.",
                    self.policy.lock_for.as_secs().max(1)
                ),
            ));
        }
        Err(ApiError::new(
            codes::BAD_CREDENTIALS,
            "that user name and password do not match",
        ))
    }

    fn failures(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Failures>>, ApiError> {
        self.failures
            .lock()
            .map_err(|_| ApiError::internal("the sign-in lock was poisoned"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<String, ApiError>) -> String {
        result.map_or_else(|e| e.code.into_owned(), |_| "ok".into())
    }

    #[test]
    fn only_the_hash_is_kept_and_it_verifies() {
        let account = ManagerAccount::from_password("erin", "s3cret", LockoutPolicy::default())
            .expect("hash");
        let phc = account.phc.get().unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(!phc.contains("s3cret"));
        let now = Instant::now();
        assert_eq!(account.verify(" erin ", "s3cret", now).unwrap(), "erin");
        assert_eq!(
            code(account.verify("erin", "S3cret", now)),
            "bad_credentials"
        );
        assert_eq!(
            code(account.verify("bob", "s3cret", now)),
            "bad_credentials"
        );
    }

    #[test]
    fn repeated_failures_lock_the_user_out_until_the_time_passes() {
        let policy = LockoutPolicy {
            max_failures: 3,
            lock_for: Duration::from_secs(30),
        };
        let account = ManagerAccount::from_password("erin", "pw", policy).unwrap();
        let t0 = Instant::now();
        assert_eq!(code(account.verify("erin", "x", t0)), "bad_credentials");
        assert_eq!(code(account.verify("erin", "y", t0)), "bad_credentials");
        assert_eq!(code(account.verify("erin", "z", t0)), "locked_out");
        // Even the right password is refused while locked.
        let later = t0 + Duration::from_secs(29);
        assert_eq!(code(account.verify("erin", "pw", later)), "locked_out");
        let after = t0 + Duration::from_secs(31);
        assert_eq!(code(account.verify("erin", "pw", after)), "ok");
    }

    #[test]
    fn a_success_clears_the_count_and_users_are_counted_apart() {
        let policy = LockoutPolicy {
            max_failures: 2,
            lock_for: Duration::from_secs(30),
        };
        let account = ManagerAccount::from_password("erin", "pw", policy).unwrap();
        let now = Instant::now();
        assert_eq!(code(account.verify("erin", "x", now)), "bad_credentials");
        assert_eq!(code(account.verify("erin", "pw", now)), "ok");
        assert_eq!(code(account.verify("erin", "x", now)), "bad_credentials");
        assert_eq!(code(account.verify("mallory", "x", now)), "bad_credentials");
        assert_eq!(code(account.verify("erin", "pw", now)), "ok");
    }

    #[test]
    fn a_malformed_hash_is_refused_at_start() {
        let err = ManagerAccount::from_hash("erin", "plain", LockoutPolicy::default()).unwrap_err();
        assert_eq!(err.code, "invalid_input");
    }
}
