//! The real `appreg serve`'s memory: a sign-in's 19 MiB of argon2 work memory is given back
//! to the system once the sign-in is done (`identity::passwords`; docs/performance.md, "Memory
//! and sign-in"). Measured as the process's resident memory (Linux's /proc).

use std::time::Duration;

use crate::durability::{add_local_admin, free_port, sign_in, start};

/// The server's resident memory in KiB.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

#[test]
fn a_sign_in_gives_its_work_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_local_admin(&data);
    let port = free_port();
    let server = start(&data, port);
    let pid = server.0.id();
    // `start` has had /healthz answered: the database is open.
    let before = resident_kib(pid);
    for _ in 0..3 {
        sign_in(port);
    }
    std::thread::sleep(Duration::from_millis(200));
    let after = resident_kib(pid);
    // Each sign-in hashes in 19 MiB. Kept, that was 19 MiB more for ever (and 19 MiB more with
    // each blocking thread that signed someone in, before the sign-ins took turns). The rest is
    // what the first sign-in brings in (code, a session, the pool's connections): about 1 MiB.
    assert!(
        after < before + 8 * 1024,
        "resident memory went from {before} KiB to {after} KiB over three sign-ins"
    );
}
