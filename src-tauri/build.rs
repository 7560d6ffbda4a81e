//! Build script: compiles tauri.conf.json, the capabilities and one `allow-…`/`deny-…` permission
//! per app command into the binary (that is what lets a capability allow single commands).

include!("src/commands/names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/commands/names.rs");
    ensure_frontend_dist();
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}

/// `generate_context!` refuses to compile without `frontendDist`. When the UI has not been built
/// (`npm run build` in ui/), put a page there that says so, so `cargo check` works anywhere.
fn ensure_frontend_dist() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(&dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><title>MallBots</title><p>The UI is not built: run \
             <code>npm run build</code> in ui/ (scripts/test.sh does).</p>",
        )
        .expect("write placeholder ui/dist/index.html");
    }
}
