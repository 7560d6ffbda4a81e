//! # mallbots-edge
//!
//! The one use-case API that the kiosk, the store-manager app and the `mallbots` CLI call:
//! load → decide → append, plus the queries they show. Not the Tauri shell, not the transport.
