//! The WebDriver calls of a [`Gui`] session: find, click, type, read text, wait, switch
//! windows, run scripts and save screenshots.

use super::tools::{poll, screenshot_dir};
use super::{decode_base64, Element, Gui, ELEMENT_KEY};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

pub(crate) fn check(response: Value, what: &str) -> Result<Value> {
    let value = response.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("WebDriver {what}: {error}: {message}");
    }
    Ok(value)
}

impl Gui {
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}{}", self.base, path);
        self.rt.block_on(async {
            // A session whose app died never answers: bound every call.
            let mut request = self
                .http
                .request(method, &url)
                .timeout(Duration::from_secs(90));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.with_context(|| url.clone())?;
            response
                .json::<Value>()
                .await
                .with_context(|| format!("{url}: body"))
        })
    }

    fn session_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let path = format!("/session/{}{}", self.session, path);
        check(self.request(method, &path, body)?, &path)
    }

    /// The first element matching a CSS selector (error if none).
    pub fn find(&self, css: &str) -> Result<Element> {
        let found = self.session_call(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        found
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_owned()))
            .ok_or_else(|| anyhow!("find {css}: no element reference in {found}"))
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let found = self.session_call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        Ok(found
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e.get(ELEMENT_KEY).and_then(Value::as_str))
                    .map(|id| Element(id.to_owned()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until an element matches `css`, polling until `timeout`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let mut last = None;
        let found = poll(timeout, || match self.find(css) {
            Ok(element) => Some(element),
            Err(err) => {
                last = Some(err);
                None
            }
        });
        found.ok_or_else(|| {
            let page = self
                .execute(
                    "return document.body ? document.body.innerText.slice(0, 400) : ''",
                    json!([]),
                )
                .unwrap_or(Value::Null);
            anyhow!("no `{css}` within {timeout:?} (last: {last:?}); the page shows: {page}")
        })
    }

    /// Clicks the first element matching `css`.
    pub fn click(&self, css: &str) -> Result<()> {
        let element = self.find(css)?;
        self.click_element(&element)
    }

    /// Clicks an element.
    pub fn click_element(&self, element: &Element) -> Result<()> {
        let path = format!("/element/{}/click", element.0);
        self.session_call(reqwest::Method::POST, &path, Some(json!({})))
            .map(drop)
    }

    /// Empties the first input matching `css`.
    pub fn clear(&self, css: &str) -> Result<()> {
        let element = self.find(css)?;
        let path = format!("/element/{}/clear", element.0);
        self.session_call(reqwest::Method::POST, &path, Some(json!({})))
            .map(drop)
    }

    /// Types text into the first element matching `css`.
    pub fn type_text(&self, css: &str, text: &str) -> Result<()> {
        let element = self.find(css)?;
        let path = format!("/element/{}/value", element.0);
        self.session_call(reqwest::Method::POST, &path, Some(json!({"text": text})))
            .map(drop)
    }

    /// The rendered text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Result<String> {
        let element = self.find(css)?;
        self.element_text(&element)
    }

    /// The rendered text of an element.
    pub fn element_text(&self, element: &Element) -> Result<String> {
        let path = format!("/element/{}/text", element.0);
        let text = self.session_call(reqwest::Method::GET, &path, None)?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// An attribute of an element (`None` when it has none).
    pub fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>> {
        let path = format!("/element/{}/attribute/{name}", element.0);
        let value = self.session_call(reqwest::Method::GET, &path, None)?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Polls the text of the first element matching `css` until it contains `needle`; returns
    /// the text.
    pub fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> Result<String> {
        let mut last = String::new();
        poll(timeout, || match self.text(css) {
            Ok(text) if text.contains(needle) => Some(text),
            Ok(text) => {
                last = text;
                None
            }
            Err(err) => {
                last = format!("<{err}>");
                None
            }
        })
        .ok_or_else(|| {
            anyhow!("`{css}` never contained {needle:?} within {timeout:?}; last: {last:?}")
        })
    }

    /// The WebDriver handles of the app's windows (the first is the one the session started in).
    pub fn window_handles(&self) -> Result<Vec<String>> {
        let handles = self.session_call(reqwest::Method::GET, "/window/handles", None)?;
        Ok(serde_json::from_value(handles)?)
    }

    /// Makes the window with this WebDriver handle the target of the next commands.
    pub fn switch_to_window(&self, handle: &str) -> Result<()> {
        self.session_call(
            reqwest::Method::POST,
            "/window",
            Some(json!({"handle": handle})),
        )
        .map(drop)
    }

    /// Makes the window whose Tauri label is `label` (`kiosk` or `manager`) the target.
    pub fn switch_to_label(&self, label: &str) -> Result<()> {
        const LABEL: &str = "return window.__TAURI_INTERNALS__.metadata.currentWindow.label";
        for handle in self.window_handles()? {
            self.switch_to_window(&handle)?;
            if self.execute(LABEL, json!([]))? == label {
                return Ok(());
            }
        }
        bail!("no window labelled {label}")
    }

    /// Runs a script in the page (`arguments` = `args`) and returns its result.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value> {
        let body = json!({"script": script, "args": args});
        self.session_call(reqwest::Method::POST, "/execute/sync", Some(body))
    }

    /// Runs an async script: it must call `arguments[arguments.length - 1](result)`.
    pub fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        let body = json!({"script": script, "args": args});
        self.session_call(reqwest::Method::POST, "/execute/async", Some(body))
    }

    /// Waits two animation frames (so the last change is painted), then saves a PNG of the
    /// window as `<workspace>/target/e2e-screenshots/<name>.png` and returns its path.
    pub fn screenshot(&self, name: &str) -> Result<PathBuf> {
        self.execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            json!([]),
        )?;
        let data = self.session_call(reqwest::Method::GET, "/screenshot", None)?;
        let encoded = data
            .as_str()
            .ok_or_else(|| anyhow!("screenshot: expected base64 text, got {data}"))?;
        let png = decode_base64(encoded)?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}
