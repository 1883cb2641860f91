//! A secondary whose data directory fills up, through the real binary, on a
//! small tmpfs (needs root to mount it, as CI runs):
//! - an IXFR whose journal append fails part-way is not served, the journal
//!   file is cut back (no torn entry), the failure is logged and counted;
//! - after `kill -9` the secondary comes back at the serial it served, never
//!   an older one;
//! - once space is back, the next NOTIFY brings the new version, which a
//!   restart keeps.

mod xfr_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use xfr_common::*;

const S: Duration = Duration::from_secs(1);
const ZONE: &str = "example.com";
const SLOW: (u32, u32, u32) = (3600, 600, 86_400);

/// A tmpfs of `size` mounted on a new directory; unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(tag: &str, size: &str) -> Tmpfs {
        let dir = tempdir(tag);
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(&dir).status().unwrap().success();
        assert!(ok, "mount -t tmpfs failed: this test needs root (CI runs as root)");
        Tmpfs(dir)
    }

    /// Fills the file system, then frees `room` octets.
    fn fill(&self, room: u64) -> PathBuf {
        let filler = self.0.join("filler");
        let chunk = vec![0x5au8; 64 * 1024];
        let mut f = std::fs::File::create(&filler).unwrap();
        use std::io::Write;
        while f.write_all(&chunk).is_ok() {}
        let _ = f.flush();
        let len = std::fs::metadata(&filler).unwrap().len();
        f.set_len(len.saturating_sub(room)).unwrap();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn journal_len(data: &Path) -> u64 {
    std::fs::metadata(data.join("zones/example.com.journal")).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn a_full_disk_never_sends_a_secondary_back_in_time() {
    require(&["dig"]);
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let pdir = tempdir("df-p");
    let (pp, sp) = (free_port(), free_port());
    let file = pdir.join("example.com.zone");
    std::fs::write(&file, zone_text(ZONE, 1, SLOW, 50, "")).unwrap();
    let zone_arg = format!("{ZONE}={}", file.display());
    let notify = format!("127.0.0.1:{sp}");
    let p = start_ironbind("primary", pp, &pdir.join("data"), &["--zone", &zone_arg, "--allow-transfer", "127.0.0.0/8", "--also-notify", &notify]);

    let fs = Tmpfs::mount("df-s", "4m");
    let data = fs.0.join("data");
    let sdir = tempdir("df-s-cfg");
    let cfg = ironbind_config(&sdir, &secondary_zone(ZONE, &[format!("127.0.0.1:{pp}")]));
    let mut s = start_ironbind("secondary", sp, &data, &["--config", &cfg]);
    s.proc.expect(0, &["Transfer completed:", "(serial 1)"], 30 * S);
    // Serial 1 → 2 by IXFR, while there is room.
    std::fs::write(&file, zone_text(ZONE, 2, SLOW, 50, "two A 192.0.2.2\n")).unwrap();
    p.reload();
    assert!(wait_until(20 * S, || serial(s.addr, ZONE) == Some(2)));
    assert!(wait_until(10 * S, || journal_len(&data) > 0));

    // The disk fills up; a big change (2,000 names, far more than the 8 KiB
    // left) cannot be journalled.
    let filler = fs.fill(8 * 1024);
    let before = journal_len(&data);
    let from = s.proc.log_len();
    let big: String = std::iter::once("two A 192.0.2.2\n".to_string()).chain((0..2000).map(|i| format!("big{i} A 192.0.2.{}\n", i % 250))).collect();
    std::fs::write(&file, zone_text(ZONE, 3, SLOW, 50, &big)).unwrap();
    p.reload();
    s.proc.expect(from, &["serial 3 could not be saved to the data directory"], 30 * S);
    assert_eq!(serial(s.addr, ZONE), Some(2), "a version that is not on disk is not served");
    assert_eq!(status(s.addr, "big1.example.com", "A"), "NXDOMAIN");
    assert_eq!(journal_len(&data), before, "the failed append was cut back");

    // kill -9: it comes back at serial 2, what it served.
    s.proc.kill9();
    std::fs::remove_file(&filler).unwrap();
    let from = 0;
    s.restart_after_kill();
    // It listens before the saved copy is loaded (the journal replayed).
    s.proc.expect(0, &["loaded serial"], 30 * S);
    assert_eq!(serial(s.addr, ZONE), Some(2), "restarted at the serial it served");
    assert!(s.proc.lines_with(from, &["damaged"]).is_empty(), "the journal has no torn tail:\n{}", s.proc.log());

    // With room again, a NOTIFY brings serial 3; a restart keeps it.
    assert_eq!(send_notify("127.0.0.1:0", s.addr, ZONE), Some(0));
    assert!(wait_until(30 * S, || serial(s.addr, ZONE) == Some(3)), "serial 3 once there is room");
    assert_eq!(status(s.addr, "big1999.example.com", "A"), "NOERROR");
    s.restart_after_kill();
    s.proc.expect(0, &["loaded serial"], 30 * S);
    assert_eq!(serial(s.addr, ZONE), Some(3));
    // IXFR history from 1 still reads back whole.
    let ixfr = dig(s.addr, &[ZONE, "IXFR=1", "+noall", "+answer"]);
    assert!(ixfr.contains("two.example.com.") && ixfr.contains("big1999.example.com."), "{ixfr}");
    s.proc.stop();
}
