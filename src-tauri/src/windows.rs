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
