//! Progress bars on stderr for long CLI work: a rebuild, an events import, a sync's backlog.
//! indicatif draws only when stderr is a terminal, so scripts and `--json` readers see nothing
//! extra; the outcome line still comes last on stdout.

use crate::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

/// A bar labelled `what`, hidden unless stderr is a terminal.
pub fn bar(what: &'static str) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what);
    bar
}

/// `(done, total)` reports moving `bar`.
pub fn reporter(bar: &ProgressBar) -> Progress {
    let bar = bar.clone();
    Arc::new(move |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
}
