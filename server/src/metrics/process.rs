//! The standard `process_*` metrics, read from `/proc/self` at scrape time.
//!
//! Owns: parsing `/proc/self/stat`, `/proc/self/statm`, `/proc/self/fd` and
//! `/proc/stat`. Must not: fail a scrape: anything unreadable (another OS,
//! a locked-down `/proc`) is left out.

/// Clock ticks per second of `/proc` CPU times. Linux reports USER_HZ,
/// which is 100 on every architecture it supports for user space.
const TICKS: f64 = 100.0;
/// Page size for `statm` (every platform ironbind is built for).
const PAGE: u64 = 4096;

/// Process figures, each only when it could be read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Process {
    /// User + system CPU time, seconds.
    pub cpu_seconds: Option<f64>,
    /// Resident set size, octets.
    pub resident_bytes: Option<u64>,
    /// Virtual memory size, octets.
    pub virtual_bytes: Option<u64>,
    /// Open file descriptors.
    pub open_fds: Option<u64>,
    /// Threads.
    pub threads: Option<u64>,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

/// Reads the figures of this process.
pub fn read() -> Process {
    let stat = std::fs::read_to_string("/proc/self/stat").ok();
    let fields = stat.as_deref().and_then(stat_fields);
    let field = |i: usize| fields.as_ref().and_then(|f| f.get(i)).and_then(|s| s.parse::<u64>().ok());
    let statm = std::fs::read_to_string("/proc/self/statm").ok();
    let pages = |i: usize| statm.as_deref().and_then(|s| s.split_whitespace().nth(i)).and_then(|s| s.parse::<u64>().ok());
    let boot = std::fs::read_to_string("/proc/stat").ok().and_then(|s| boot_time(&s));
    Process {
        // Fields after the command, counted from `state` (field 3 of proc(5)) as 0.
        cpu_seconds: field(11).zip(field(12)).map(|(u, s)| (u + s) as f64 / TICKS),
        threads: field(17),
        start_time_seconds: boot.zip(field(19)).map(|(b, t)| b as f64 + t as f64 / TICKS),
        virtual_bytes: pages(0).map(|p| p * PAGE),
        resident_bytes: pages(1).map(|p| p * PAGE),
        open_fds: std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as u64),
    }
}

/// The fields of `/proc/self/stat` after `(comm)`, which may itself hold
/// spaces and parentheses.
fn stat_fields(s: &str) -> Option<Vec<&str>> {
    let rest = &s[s.rfind(')')? + 1..];
    Some(rest.split_whitespace().collect())
}

/// `btime` of `/proc/stat`: boot time, seconds since the epoch.
fn boot_time(s: &str) -> Option<u64> {
    s.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_skip_a_command_with_spaces_and_parens() {
        let s = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 7 0 12345 100 20";
        let f = stat_fields(s).unwrap();
        assert_eq!((f[0], f[11], f[12], f[17], f[19]), ("S", "150", "50", "7", "12345"));
        assert_eq!(boot_time("cpu 1 2\nbtime 1700000000\n"), Some(1_700_000_000));
    }

    #[test]
    fn this_process_is_readable_on_linux() {
        let p = read();
        if cfg!(target_os = "linux") {
            assert!(p.resident_bytes.unwrap() > 0);
            assert!(p.threads.unwrap() >= 1);
            assert!(p.open_fds.unwrap() >= 3);
            let now = crate::clock::unix_now_f64();
            let start = p.start_time_seconds.unwrap();
            assert!(start <= now + 1.0 && start > now - 86_400.0 * 365.0, "{start} vs {now}");
        }
    }
}
