//! Progress for people and logs for cron: bars on a terminal, one plain line per stage otherwise;
//! and the process's peak memory, which the manifest and `kindred bench` report.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar that is drawn only on an interactive terminal (and not with `--quiet`).
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar that draws nothing (tests, cron, `--quiet`).
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    /// A bar of `len` steps labelled `label`, drawn only when stderr is a terminal.
    pub fn new(len: u64, label: &str, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::new(len);
        let style =
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {human_pos}/{human_len} customers, eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Progress { bar: Some(bar) }
    }

    /// Advances by `n` steps (thread-safe).
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Prints one line per stage to stderr unless quiet: the cron mail's record of the run.
pub fn log(quiet: bool, line: &str) {
    if !quiet {
        eprintln!("kindred: {line}");
    }
}

/// Peak resident memory of this process (VmHWM), in bytes; 0 where unknown.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
