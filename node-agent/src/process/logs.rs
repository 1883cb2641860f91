//! Container log files: what a process writes to stdout and stderr, one
//! line each as `TIMESTAMP STREAM TEXT` (the timestamp RFC 3339 in UTC
//! with nanoseconds, as the kubelet's `timestamps=true` prints it), and
//! reading them back for `/containerLogs` (tail, since, limit, timestamps).
//!
//! Owns: the log file format, capture and rotation (current → previous at
//! a restart). Must not: serve HTTP (the kubelet endpoint does) or follow
//! a file forever (it reads what is there; following polls it).

use std::io::Write;
use std::path::{Path, PathBuf};

use k8s_openapi::jiff::Timestamp;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// One stored log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// When it was read from the process.
    pub time: &'a str,
    /// `stdout` or `stderr`.
    pub stream: &'a str,
    /// What the process wrote, without the line end.
    pub text: &'a str,
}

/// Parses a stored line; `None` for one not in the format.
pub fn parse(line: &str) -> Option<Line<'_>> {
    let (time, rest) = line.split_once(' ')?;
    let (stream, text) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(Line { time, stream, text })
}

/// A stored line as `kubectl logs` shows it: the text, with its timestamp
/// in front when asked.
pub fn render(line: &Line<'_>, timestamps: bool) -> String {
    if timestamps {
        format!("{} {}\n", line.time, line.text)
    } else {
        format!("{}\n", line.text)
    }
}

/// What `/containerLogs` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Only the last N lines.
    pub tail_lines: Option<usize>,
    /// Timestamps in front of each line.
    pub timestamps: bool,
    /// Only lines at or after this time.
    pub since: Option<Timestamp>,
    /// At most this many bytes.
    pub limit_bytes: Option<usize>,
}

/// The lines of a log file's text that `q` selects, rendered.
pub fn select(text: &str, q: &Query) -> String {
    let lines: Vec<Line<'_>> =
        text.lines().filter_map(parse).filter(|l| q.since.is_none_or(|s| l.time.parse::<Timestamp>().is_ok_and(|t| t >= s))).collect();
    let from = q.tail_lines.map_or(0, |n| lines.len().saturating_sub(n));
    let mut out: String = lines[from..].iter().map(|l| render(l, q.timestamps)).collect();
    if let Some(limit) = q.limit_bytes {
        let mut cut = limit.min(out.len());
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// A stored line for `text` read now from `stream`.
pub fn format_line(stream: &str, text: &str) -> String {
    format!("{} {stream} {text}\n", Timestamp::now())
}

/// Before a (re)start: the last run's log becomes `previous`, and an empty
/// `current` is made.
pub fn rotate(current: &Path, previous: &Path) -> std::io::Result<()> {
    if let Some(dir) = current.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if current.exists() {
        std::fs::rename(current, previous)?;
    }
    std::fs::File::create(current).map(drop)
}

/// Copies the lines of `from` (the process's stdout or stderr) into the
/// log file at `path` until end of file. Each line is one append, so the
/// two streams interleave by whole lines.
pub async fn capture(from: impl AsyncRead + Unpin, stream: &'static str, path: PathBuf) {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(log = %path.display(), error = %e, "cannot open the container log; output dropped");
            return;
        }
    };
    let mut lines = BufReader::new(from);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match lines.read_until(b'\n', &mut buf).await {
            Ok(0) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                let text = text.trim_end_matches(['\n', '\r']);
                if let Err(e) = file.write_all(format_line(stream, text).as_bytes()) {
                    tracing::warn!(log = %path.display(), error = %e, "cannot write the container log");
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "container output closed");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2024-05-01T10:00:00.000000001Z stdout one\n\
                       2024-05-01T10:00:01Z stderr two words\n\
                       garbage\n\
                       2024-05-01T10:00:02Z stdout \n\
                       2024-05-01T10:00:03Z stdout four\n";

    #[test]
    fn parse_and_render() {
        let l = parse("2024-05-01T10:00:01Z stderr two words").unwrap();
        assert_eq!(l, Line { time: "2024-05-01T10:00:01Z", stream: "stderr", text: "two words" });
        assert_eq!(render(&l, false), "two words\n");
        assert_eq!(render(&l, true), "2024-05-01T10:00:01Z two words\n");
        assert_eq!(parse("2024-05-01T10:00:01Z stdout").unwrap().text, "");
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn everything_or_the_tail() {
        let all = Query::default();
        assert_eq!(select(LOG, &all), "one\ntwo words\n\nfour\n");
        assert_eq!(select(LOG, &Query { tail_lines: Some(2), ..all.clone() }), "\nfour\n");
        assert_eq!(select(LOG, &Query { tail_lines: Some(0), ..all.clone() }), "");
        assert_eq!(select(LOG, &Query { tail_lines: Some(99), ..all.clone() }).lines().count(), 4);
        assert_eq!(select(LOG, &Query { tail_lines: Some(1), timestamps: true, ..all }), "2024-05-01T10:00:03Z four\n");
    }

    #[test]
    fn since_and_limit() {
        let q = Query { since: Some("2024-05-01T10:00:01Z".parse().unwrap()), ..Query::default() };
        assert_eq!(select(LOG, &q), "two words\n\nfour\n");
        assert_eq!(select(LOG, &Query { limit_bytes: Some(6), ..Query::default() }), "one\ntw");
    }

    #[test]
    fn a_formatted_line_parses_back() {
        let s = format_line("stdout", "hello world");
        let l = parse(s.trim_end()).unwrap();
        assert_eq!((l.stream, l.text), ("stdout", "hello world"));
        assert!(l.time.parse::<Timestamp>().is_ok(), "{}", l.time);
    }

    #[test]
    fn rotation_keeps_the_previous_run() {
        let dir = std::env::temp_dir().join(format!("ironbind-node-rotate-{}", std::process::id()));
        let (cur, prev) = (dir.join("current.log"), dir.join("previous.log"));
        rotate(&cur, &prev).unwrap();
        std::fs::write(&cur, "run 1\n").unwrap();
        rotate(&cur, &prev).unwrap();
        assert_eq!(std::fs::read_to_string(&prev).unwrap(), "run 1\n");
        assert_eq!(std::fs::read_to_string(&cur).unwrap(), "");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
