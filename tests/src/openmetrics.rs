//! Checks a `/metrics` answer with the reference OpenMetrics parser (the Python
//! `prometheus_client.openmetrics.parser`, installed into `.tools/venv` by
//! scripts/install-deps.sh): every family parses, has a `# HELP` and a `# TYPE`, and the text
//! ends with `# EOF`.

use crate::nats::workspace_root;
use std::io::Write;
use std::process::{Command, Stdio};

const CHECK: &str = r##"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = sys.stdin.read()
families = list(text_string_to_metric_families(text))
seen = set()
for line in text.splitlines():
    if line.startswith("# HELP "):
        seen.add(line.split(" ")[2])
missing = [f.name for f in families if f.name not in seen]
if missing:
    sys.exit("families without # HELP: " + ", ".join(missing))
print(len(families))
"##;

/// Validates `text`; returns the number of families, or the parser's complaint.
pub fn validate(text: &str) -> Result<usize, String> {
    let python = workspace_root().join(".tools/venv/bin/python");
    let mut child = Command::new(&python)
        .args(["-c", CHECK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "{} did not start ({e}): run bash scripts/install-deps.sh",
                python.display()
            )
        })?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("parser output: {e}"))
}
