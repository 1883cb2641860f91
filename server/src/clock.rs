//! Wall-clock time: the one place that reads it as seconds since the Unix
//! epoch (TSIG Time Signed, refresh timers, `lastLoad`, the process start).
//!
//! Owns: [`unix_now`] and [`unix_now_f64`]. A clock before 1970 reads as 0.

#![forbid(unsafe_code)]

use std::time::{SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Seconds since the Unix epoch, with the fraction.
pub fn unix_now_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
