//! The app's Debian package as an operator installs it: `bash scripts/package.sh --bundles deb`
//! (scripts/test.sh builds it, dev profile, before the tests run) gives a .deb whose control
//! data names the WebKitGTK runtime, which carries the binary, its desktop entry and the kiosk's
//! systemd user unit (fullscreen at login, restarted after a crash), and whose binary, unpacked
//! into a temporary root, starts: the kiosk window opens on its start screen (over WebDriver,
//! under Xvfb) with its database in Tauri's app data folder.
//!
//! The package is unpacked with `dpkg-deb -x` rather than installed with `dpkg -i`: the test
//! must not change the machine it runs on.

use mallbots_tests::gui::{workspace_root, Gui, GuiOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// `$MALLBOTS_DEB`, else the newest .deb scripts/package.sh left under target/.
fn package() -> PathBuf {
    if let Some(path) = std::env::var_os("MALLBOTS_DEB") {
        return PathBuf::from(path);
    }
    let mut debs: Vec<(std::time::SystemTime, PathBuf)> = ["debug", "release"]
        .iter()
        .map(|profile| {
            workspace_root()
                .join("target")
                .join(profile)
                .join("bundle/deb")
        })
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let modified = path.metadata().ok()?.modified().ok()?;
            (path.extension()? == "deb").then_some((modified, path))
        })
        .collect();
    debs.sort();
    debs.pop().map(|(_, path)| path).expect(
        "no .deb under target/*/bundle/deb: build it with \
         `bash scripts/package.sh --debug --bundles deb` (scripts/test.sh does)",
    )
}

fn field(deb: &Path, name: &str) -> String {
    let out = Command::new("dpkg-deb")
        .arg("-f")
        .arg(deb)
        .arg(name)
        .output()
        .expect("run dpkg-deb");
    assert!(out.status.success(), "dpkg-deb -f {name}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_deb_installs_and_its_kiosk_starts() {
    let deb = package();
    println!("package: {}", deb.display());
    assert_eq!(field(&deb, "Package"), "mall-bots");
    assert_eq!(field(&deb, "Architecture"), "amd64");
    let depends = field(&deb, "Depends");
    assert!(
        depends.contains("libwebkit2gtk-4.1-0") && depends.contains("libgtk-3-0"),
        "Depends: {depends}"
    );

    let root = tempfile::tempdir().unwrap();
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(root.path())
        .status()
        .expect("run dpkg-deb -x");
    assert!(status.success(), "dpkg-deb -x failed");
    let installed = |path: &str| root.path().join(path.trim_start_matches('/'));
    let binary = installed("/usr/bin/mallbots-app");
    assert!(
        binary.is_file(),
        "the package carries /usr/bin/mallbots-app"
    );
    let desktop = std::fs::read_to_string(installed("/usr/share/applications/MallBots.desktop"))
        .expect("the desktop entry");
    assert!(desktop.contains("Exec=mallbots-app"), "{desktop}");
    let unit = std::fs::read_to_string(installed("/usr/lib/systemd/user/mallbots-kiosk.service"))
        .expect("the kiosk's systemd user unit");
    for line in [
        "ExecStart=/usr/bin/mallbots-app --windows kiosk --fullscreen",
        "Restart=always",
        "EnvironmentFile=-%h/.config/mallbots/kiosk.env",
        "WantedBy=graphical-session.target",
    ] {
        assert!(
            unit.lines().any(|l| l == line),
            "unit lacks {line:?}:\n{unit}"
        );
    }
    assert!(installed("/usr/share/mallbots/kiosk.env.example").is_file());

    // The unpacked binary, as the unit starts it, on a fresh account (no demo data, no sync).
    let mut options = GuiOptions::kiosk();
    options.env.clear();
    options.args = vec!["--fullscreen".to_owned()];
    options.app = Some(binary);
    let gui = Gui::start(options).expect("start the packaged app under WebDriver");
    let ready = gui.wait_for("[data-testid=kiosk-ready]", Duration::from_secs(30));
    let ready = ready.unwrap_or_else(|e| panic!("{e:#}\n{}", gui.log_tail(40)));
    let text = gui.element_text(&ready).expect("start screen text");
    assert!(
        text.contains("Tap to start your order"),
        "start screen: {text}"
    );
    gui.screenshot("package-kiosk").expect("screenshot");
    let db = gui.data_home().join("com.mallbots.edge").join("kiosk.db");
    assert!(
        db.is_file(),
        "the kiosk's database is in Tauri's app data folder ({})",
        db.display()
    );
}
