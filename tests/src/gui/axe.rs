//! Accessibility checks in the real webview: axe-core (the npm package in `ui/node_modules`,
//! the engine browser a11y tools use) is injected into the page over WebDriver and run on the
//! whole document; the violations of impact `serious` or `critical` are returned.

use super::{workspace_root, Gui};
use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value};

/// One rule axe found broken, with the elements that break it.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule (`color-contrast`, `button-name`, …).
    pub id: String,
    /// `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for.
    pub help: String,
    /// CSS selectors of the offending elements.
    pub targets: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {} at {}",
            self.id,
            self.impact,
            self.help,
            self.targets.join(", ")
        )
    }
}

fn axe_source() -> Result<String> {
    let path = workspace_root().join("ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .with_context(|| format!("{} (run `npm ci` in ui/)", path.display()))
}

impl Gui {
    /// Runs axe-core on the current page (WCAG 2.0/2.1 A and AA rules); returns its serious
    /// and critical violations.
    pub fn accessibility_violations(&self) -> Result<Vec<Violation>> {
        let source = axe_source()?;
        // The library defines `axe` on the page; then it runs on the document.
        let script = format!(
            "{source}\n;const done = arguments[arguments.length - 1];\
             axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}, resultTypes: ['violations']}})\
               .then(r => done(JSON.stringify(r.violations)), e => done('error: ' + e));"
        );
        let answer = self.execute_async(&script, json!([]))?;
        let text = answer
            .as_str()
            .ok_or_else(|| anyhow!("axe returned {answer}"))?;
        if let Some(err) = text.strip_prefix("error: ") {
            return Err(anyhow!("axe failed: {err}"));
        }
        let all: Vec<Value> = serde_json::from_str(text).context("axe's answer")?;
        Ok(all
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                impact: v["impact"].as_str().unwrap_or_default().to_owned(),
                help: v["help"].as_str().unwrap_or_default().to_owned(),
                targets: v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| n["target"].to_string())
                    .collect(),
            })
            .collect())
    }

    /// Panics listing every serious or critical violation on the current screen (`screen`
    /// names it in the message); prints that the screen passed otherwise.
    pub fn assert_accessible(&self, screen: &str) {
        let found = self
            .accessibility_violations()
            .unwrap_or_else(|e| panic!("axe on {screen}: {e:#}"));
        let listed: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(listed.is_empty(), "{screen}:\n{}", listed.join("\n"));
        println!("{screen}: no serious or critical accessibility violation");
    }
}
