//! Opens the windows declared in tauri.conf.json (`create: false` there, so that the launch
//! options decide which ones open and whether the kiosk is fullscreen).

use crate::launch::{LaunchOptions, KIOSK};
use tauri::{AppHandle, Runtime, WebviewWindowBuilder};

/// Opens the configured windows selected by `options`; returns their labels.
pub fn open<R: Runtime>(
    app: &AppHandle<R>,
    options: &LaunchOptions,
) -> Result<Vec<String>, tauri::Error> {
    let configs: Vec<_> = app
        .config()
        .app
        .windows
        .iter()
        .filter(|w| options.windows.opens(&w.label))
        .cloned()
        .collect();
    let mut opened = Vec::with_capacity(configs.len());
    for config in &configs {
        let mut builder = WebviewWindowBuilder::from_config(app, config)?;
        if config.label == KIOSK && options.fullscreen {
            builder = builder.fullscreen(true);
        }
        builder.build()?;
        opened.push(config.label.clone());
    }
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::{WindowSet, MANAGER};
    use crate::state::AppState;
    use clap::Parser;
    use std::sync::Arc;
    use tauri::Manager;

    /// Opens the windows of `set` on the mock runtime; returns the labels of the open windows.
    fn open_with(set: WindowSet) -> Vec<String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let edge = mallbots_edge::Edge::open(dir.path().join("edge.db"), Default::default())
            .expect("edge database");
        let account = crate::auth::ManagerAccount::from_password("u", "p", Default::default())
            .expect("account");
        let state = AppState::new(Arc::new(edge), account).expect("state");
        let app = crate::configure(tauri::test::mock_builder(), state)
            .build(tauri::generate_context!(test = true))
            .expect("mock app");
        assert!(
            app.webview_windows().is_empty(),
            "config windows are `create: false`"
        );
        let mut options = LaunchOptions::parse_from(["mallbots-app"]);
        options.windows = set;
        let opened = open(app.handle(), &options).expect("open windows");
        let mut labels: Vec<String> = app.webview_windows().into_keys().collect();
        labels.sort();
        assert_eq!(labels, opened, "reported = actually open");
        labels
    }

    #[test]
    fn launch_options_choose_the_windows() {
        assert_eq!(open_with(WindowSet::Kiosk), [KIOSK]);
        assert_eq!(open_with(WindowSet::Manager), [MANAGER]);
        assert_eq!(open_with(WindowSet::Both), [KIOSK, MANAGER]);
    }
}
