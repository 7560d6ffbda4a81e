use super::*;

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub(super) fn kiosk_issue<'a>(
    device: &'a str,
    out: Option<&'a Path>,
    rotate: bool,
) -> DeviceIssue<'a> {
    DeviceIssue {
        device,
        role: &DeviceRole::Kiosk,
        subject_root: "r1",
        stream: "EVENTS",
        out,
        rotate,
        nats_url: Some("nats://127.0.0.1:4222"),
    }
}

#[test]
fn passwords_are_random_and_hashed_as_2a() {
    let a = generate_password();
    let b = generate_password();
    assert_eq!(a.len(), PASSWORD_LEN);
    assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a, b);
    let hash = hash_password(&a).unwrap();
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert!(verify_password(&a, &hash));
    assert!(!verify_password(&b, &hash));
}

#[test]
fn init_makes_a_private_directory_with_central_and_a_config_without_clear_passwords() {
    let tmp = tempfile::tempdir().unwrap();
    let auth = AuthDir::new(tmp.path().join("auth"));
    let central = auth.init("mallbots", "EVENTS", false).unwrap();
    assert_eq!(central.role, "central");
    assert_eq!(central.user, "central");
    #[cfg(unix)]
    {
        assert_eq!(mode(auth.path()), 0o700);
        assert_eq!(mode(&auth.central_credentials_path()), 0o600);
        assert_eq!(mode(&auth.config_path()), 0o600);
    }
    let on_disk = DeviceCredentials::load(&auth.central_credentials_path()).unwrap();
    assert_eq!(on_disk, central);
    let conf = std::fs::read_to_string(auth.config_path()).unwrap();
    assert!(conf.contains("authorization {"), "{conf}");
    assert!(
        conf.contains("user: \"central\", password: \"$2a$10$"),
        "{conf}"
    );
    assert!(
        !conf.contains(&central.password),
        "clear password in {conf}"
    );
    // Idempotent: a second init keeps central's password.
    let again = auth.init("mallbots", "EVENTS", false).unwrap();
    assert_eq!(again.password, central.password);
    let rotated = auth.init("mallbots", "EVENTS", true).unwrap();
    assert_ne!(rotated.password, central.password);
    let record = auth.central_record().unwrap();
    assert!(verify_password(&rotated.password, &record.password_bcrypt));
}

#[test]
fn devices_get_credentials_records_and_their_role_s_permissions() {
    let tmp = tempfile::tempdir().unwrap();
    let auth = AuthDir::new(tmp.path().join("auth"));
    let central = auth.init("r1", "EVENTS", false).unwrap();
    let k1_file = tmp.path().join("k1.json");
    let issued = auth
        .issue_device(&kiosk_issue("k1", Some(&k1_file), false))
        .unwrap();
    assert!(issued.new_password);
    let k1 = DeviceCredentials::load(&k1_file).unwrap();
    assert_eq!(Some(&k1), issued.credentials.as_ref());
    assert_eq!(
        (k1.device.as_str(), k1.role.as_str(), k1.user.as_str()),
        ("k1", "kiosk", "k1")
    );
    assert_eq!(
        (k1.subject_root.as_str(), k1.stream.as_str()),
        ("r1", "EVENTS")
    );
    assert_eq!(k1.nats_url.as_deref(), Some("nats://127.0.0.1:4222"));
    #[cfg(unix)]
    {
        assert_eq!(mode(&k1_file), 0o600);
        assert_eq!(mode(&auth.device_record_path("k1")), 0o600);
    }
    let manager = DeviceRole::Manager {
        stores: vec!["s1".into()],
    };
    let m1_file = tmp.path().join("m1.json");
    auth.issue_device(&DeviceIssue {
        device: "m1",
        role: &manager,
        subject_root: "r2",
        stream: "t_EVENTS",
        out: Some(&m1_file),
        rotate: false,
        nats_url: None,
    })
    .unwrap();
    let m1 = DeviceCredentials::load(&m1_file).unwrap();
    let conf = std::fs::read_to_string(auth.config_path()).unwrap();
    for secret in [&central.password, &k1.password, &m1.password] {
        assert!(!conf.contains(secret.as_str()), "clear password in {conf}");
    }
    for wanted in [
        "\"r1.ev.kiosk.k1.>\"",
        "\"$JS.API.DIRECT.GET.EVENTS.r1.ev.kiosk.k1.>\"",
        "\"_INBOX_k1.>\"",
        "\"r2.ev.catalog.s1.>\"",
        "\"$JS.API.CONSUMER.MSG.NEXT.t_EVENTS.m1-orders\"",
        "\"r2.ev.desk.m1.pickupreq.>\"",
    ] {
        assert!(conf.contains(wanted), "{wanted} missing in {conf}");
    }
    assert!(!conf.contains("\"$JS.API.DIRECT.GET.EVENTS\""), "{conf}");
    assert_eq!(auth.device_records().unwrap().len(), 2);
}

#[test]
fn re_enrolling_keeps_the_password_unless_rotated() {
    let tmp = tempfile::tempdir().unwrap();
    let auth = AuthDir::new(tmp.path().join("auth"));
    auth.init("r1", "EVENTS", false).unwrap();
    let file = tmp.path().join("k1.json");
    auth.issue_device(&kiosk_issue("k1", Some(&file), false))
        .unwrap();
    let first = DeviceCredentials::load(&file).unwrap();
    let hash = auth.device_record("k1").unwrap().unwrap().password_bcrypt;

    let again = auth
        .issue_device(&kiosk_issue("k1", Some(&file), false))
        .unwrap();
    assert!(!again.new_password);
    assert_eq!(
        DeviceCredentials::load(&file).unwrap().password,
        first.password
    );
    assert_eq!(again.record.password_bcrypt, hash, "hash unchanged");

    // Without the device's file: the record is updated, the password kept, nothing written.
    let record_only = auth.issue_device(&kiosk_issue("k1", None, false)).unwrap();
    assert!(record_only.credentials.is_none());
    assert_eq!(record_only.record.password_bcrypt, hash);

    // A file that does not hold the current password is refused, not overwritten.
    let other = tmp.path().join("other.json");
    std::fs::write(&other, "{}").unwrap();
    let refused = auth
        .issue_device(&kiosk_issue("k1", Some(&other), false))
        .unwrap_err();
    assert_eq!(refused.code(), "enrollment.password_kept");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "{}");

    let rotated = auth
        .issue_device(&kiosk_issue("k1", Some(&file), true))
        .unwrap();
    assert!(rotated.new_password);
    let new = DeviceCredentials::load(&file).unwrap();
    assert_ne!(new.password, first.password);
    assert!(verify_password(
        &new.password,
        &rotated.record.password_bcrypt
    ));
    assert!(!verify_password(
        &first.password,
        &rotated.record.password_bcrypt
    ));
}

#[test]
fn refusals_are_coded() {
    let tmp = tempfile::tempdir().unwrap();
    let auth = AuthDir::new(tmp.path().join("auth"));
    let file = tmp.path().join("k1.json");
    let not_init = auth
        .issue_device(&kiosk_issue("k1", Some(&file), false))
        .unwrap_err();
    assert_eq!(not_init.code(), "auth.not_initialized");
    auth.init("r1", "EVENTS", false).unwrap();
    let no_out = auth
        .issue_device(&kiosk_issue("k1", None, false))
        .unwrap_err();
    assert_eq!(no_out.code(), "enrollment.no_out");
    for bad in ["k.1", "k 1", "", "k\"1", "central"] {
        let e = auth
            .issue_device(&kiosk_issue(bad, Some(&file), false))
            .unwrap_err();
        assert_eq!(e.code(), "auth.invalid_name", "{bad:?}");
    }
    assert!(!file.exists());
}

#[test]
fn concurrent_enrollments_all_land_in_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let auth = AuthDir::new(tmp.path().join("auth"));
    auth.init("r1", "EVENTS", false).unwrap();
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let auth = auth.clone();
            let out = tmp.path().join(format!("d{i}.json"));
            std::thread::spawn(move || {
                let device = format!("d{i}");
                auth.issue_device(&kiosk_issue(&device, Some(&out), false))
                    .unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let conf = std::fs::read_to_string(auth.config_path()).unwrap();
    for i in 0..6 {
        assert!(
            conf.contains(&format!("user: \"d{i}\"")),
            "d{i} missing: {conf}"
        );
    }
}

#[test]
fn server_pids_are_read_from_pid_files_and_stale_ones_not_signalled() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("nats-server.pid"), "4194000\n").unwrap();
    std::fs::write(tmp.path().join("n1.pid"), "4194001").unwrap();
    std::fs::write(tmp.path().join("junk.pid"), "x").unwrap();
    assert_eq!(server_pids(tmp.path()), vec![4_194_000, 4_194_001]);
    // Our own pid is a test binary, not a nats-server: never signalled.
    let me = std::process::id();
    let results = reload_servers(&[me]);
    assert!(results[0].1.is_err(), "{results:?}");
}
