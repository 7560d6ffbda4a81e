use super::jwt::verified_claims;
use super::tests::kiosk_issue as kiosk;
use super::*;

fn accounts_dir() -> (tempfile::TempDir, AuthDir, DeviceCredentials) {
    let tmp = tempfile::tempdir().unwrap();
    let auth = AuthDir::new(tmp.path().join("auth"));
    let central = auth
        .init_accounts("r1", "EVENTS", false, Some("mall"))
        .unwrap();
    (tmp, auth, central)
}

fn seeds(auth: &AuthDir) -> Vec<String> {
    let a = Accounts::load(auth.path()).unwrap().unwrap();
    vec![a.operator_seed, a.account_seed, a.system_seed]
}

#[test]
fn account_init_makes_an_operator_and_a_central_key_with_every_right() {
    let (_tmp, auth, central) = accounts_dir();
    assert!(auth.uses_accounts());
    assert!(central.password.is_empty());
    let claims = verified_claims(central.jwt.as_deref().unwrap()).unwrap();
    assert_eq!(claims["nats"]["pub"], serde_json::json!({}));
    let account = Accounts::load(auth.path()).unwrap().unwrap();
    assert_eq!(claims["iss"], account.account_public_key().unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&auth.path().join(ACCOUNTS_FILE)), 0o600);
        assert_eq!(mode(&auth.central_credentials_path()), 0o600);
    }
    let conf = std::fs::read_to_string(auth.config_path()).unwrap();
    for wanted in ["operator: \"eyJ", "system_account: A", "resolver: MEMORY"] {
        assert!(conf.contains(wanted), "{wanted} missing in {conf}");
    }
    for secret in seeds(&auth).iter().chain(central.seed.iter()) {
        assert!(!conf.contains(secret.as_str()), "a seed in the config");
    }
    // Idempotent, also through plain `init`; a rotation gives a new key and revokes the old.
    let again = auth.init("r1", "EVENTS", false).unwrap();
    assert_eq!(again.seed, central.seed);
    assert_eq!(std::fs::read_to_string(auth.config_path()).unwrap(), conf);
    let rotated = auth.init_accounts("r1", "EVENTS", true, None).unwrap();
    assert_ne!(rotated.seed, central.seed);
    let old_key = verified_claims(central.jwt.as_deref().unwrap()).unwrap()["sub"].clone();
    let revoked = Accounts::load(auth.path()).unwrap().unwrap().revocations;
    assert!(
        revoked.contains_key(old_key.as_str().unwrap()),
        "{revoked:?}"
    );
}

#[test]
fn a_device_key_carries_its_role_s_rights_and_needs_no_reload() {
    let (tmp, auth, _central) = accounts_dir();
    let before = std::fs::read_to_string(auth.config_path()).unwrap();
    let file = tmp.path().join("k1.json");
    let issued = auth.issue_device(&kiosk("k1", Some(&file), false)).unwrap();
    assert!(issued.new_password && !issued.reload_needed);
    let k1 = DeviceCredentials::load(&file).unwrap();
    assert!(k1.uses_jwt() && k1.password.is_empty());
    let claims = verified_claims(k1.jwt.as_deref().unwrap()).unwrap();
    assert_eq!(claims["sub"].as_str(), issued.record.nkey.as_deref());
    let publish = claims["nats"]["pub"]["allow"].to_string();
    assert!(publish.contains("r1.ev.kiosk.k1.>"), "{publish}");
    assert!(!publish.contains("r1.ev.catalog"), "{publish}");
    let subscribe = claims["nats"]["sub"]["allow"].to_string();
    assert!(subscribe.contains("_INBOX_k1.>"), "{subscribe}");
    // The trust part of the config is unchanged (only the user list comment grew).
    let after = std::fs::read_to_string(auth.config_path()).unwrap();
    let trust = |c: &str| {
        c.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(trust(&before), trust(&after));
    assert!(!after.contains(k1.seed.as_deref().unwrap()));
}

#[test]
fn re_enrolling_keeps_the_key_and_a_change_or_rotation_revokes_it() {
    let (tmp, auth, _central) = accounts_dir();
    let file = tmp.path().join("k1.json");
    auth.issue_device(&kiosk("k1", Some(&file), false)).unwrap();
    let first = DeviceCredentials::load(&file).unwrap();
    let kept = auth.issue_device(&kiosk("k1", Some(&file), false)).unwrap();
    assert!(!kept.new_password && !kept.reload_needed);
    assert_eq!(DeviceCredentials::load(&file).unwrap(), first);
    let record_only = auth.issue_device(&kiosk("k1", None, false)).unwrap();
    assert!(record_only.credentials.is_none() && !record_only.reload_needed);
    // A file without the current key is refused and left alone.
    let other = tmp.path().join("other.json");
    std::fs::write(&other, "{}").unwrap();
    let refused = auth
        .issue_device(&kiosk("k1", Some(&other), false))
        .unwrap_err();
    assert_eq!(refused.code(), "enrollment.password_kept");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "{}");
    // A new role: its rights live in the device's file, so --out is needed.
    let depot = DeviceIssue {
        role: &DeviceRole::Depot,
        ..kiosk("k1", None, false)
    };
    assert_eq!(
        auth.issue_device(&depot).unwrap_err().code(),
        "enrollment.no_out"
    );
    let moved = auth
        .issue_device(&DeviceIssue {
            out: Some(&file),
            ..depot
        })
        .unwrap();
    assert!(moved.new_password && moved.reload_needed);
    let old_key = verified_claims(first.jwt.as_deref().unwrap()).unwrap()["sub"].clone();
    let accounts = Accounts::load(auth.path()).unwrap().unwrap();
    assert!(accounts.revocations.contains_key(old_key.as_str().unwrap()));
    let rotated = auth.issue_device(&kiosk("k1", Some(&file), true)).unwrap();
    assert!(rotated.reload_needed);
    assert_eq!(
        Accounts::load(auth.path())
            .unwrap()
            .unwrap()
            .revocations
            .len(),
        2
    );
    let conf = std::fs::read_to_string(auth.config_path()).unwrap();
    assert!(
        conf.contains(&format!("kiosk k1 {}", rotated.record.nkey.unwrap())),
        "{conf}"
    );
}

#[test]
fn a_password_directory_switches_to_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let auth = AuthDir::new(tmp.path().join("auth"));
    let central = auth.init("r1", "EVENTS", false).unwrap();
    auth.issue_device(&kiosk("k1", Some(&tmp.path().join("k1.json")), false))
        .unwrap();
    let switched = auth.init_accounts("r1", "EVENTS", false, None).unwrap();
    assert!(switched.uses_jwt() && !central.uses_jwt());
    let conf = std::fs::read_to_string(auth.config_path()).unwrap();
    assert!(!conf.contains("authorization {"), "{conf}");
    assert!(
        conf.contains("k1 (no key: enrolled before account auth)"),
        "{conf}"
    );
    // Enrolling it again gives it a key (the old password record had none to revoke).
    let file = tmp.path().join("k1-new.json");
    let again = auth.issue_device(&kiosk("k1", Some(&file), false)).unwrap();
    assert!(again.new_password && !again.reload_needed);
}
