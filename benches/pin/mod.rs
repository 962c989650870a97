//! Pinning a benchmark's client thread and the in-process server's connection
//! threads to two different CPUs. Where the scheduler puts a server's thread
//! relative to its client's moves a round trip on the 2-core VM this was
//! measured on by up to 50% from one connection to the next, far more than
//! the differences measured; pinned, two connections doing the same work time
//! within 2% of each other. Linux only; elsewhere nothing is pinned.

/// The threads pinned and the CPUs each had before, given back on drop.
pub struct Pinned {
    #[cfg(target_os = "linux")]
    restore: Vec<(libc::pid_t, libc::cpu_set_t)>,
}

/// Pins the calling thread to the first CPU it may run on and every
/// `mssql-sim-conn-*` thread of this process to the second; nothing when the
/// calling thread may run on one CPU only.
#[cfg(target_os = "linux")]
pub fn client_and_server_threads() -> Pinned {
    let allowed = affinity(0);
    // SAFETY: CPU_ISSET reads inside `allowed`, a whole cpu_set_t.
    let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &allowed) })
        .take(2)
        .collect();
    let &[client_cpu, server_cpu] = cpus.as_slice() else {
        return Pinned { restore: vec![] };
    };
    let mut pinned = Pinned {
        restore: vec![(0, allowed)],
    };
    set_affinity(0, &only(client_cpu));
    for task in std::fs::read_dir("/proc/self/task").expect("procfs") {
        let task = task.expect("procfs entry").path();
        let comm = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        let tid = task.file_name().and_then(|n| n.to_str()?.parse().ok());
        if let (true, Some(tid)) = (comm.starts_with("mssql-sim-conn"), tid) {
            pinned.restore.push((tid, affinity(tid)));
            set_affinity(tid, &only(server_cpu));
        }
    }
    pinned
}

#[cfg(not(target_os = "linux"))]
pub fn client_and_server_threads() -> Pinned {
    Pinned {}
}

#[cfg(target_os = "linux")]
impl Drop for Pinned {
    fn drop(&mut self) {
        for (tid, before) in &self.restore {
            // A server thread may have ended since; its CPUs no longer matter.
            // SAFETY: sched_setaffinity reads `before`, a whole cpu_set_t.
            unsafe { libc::sched_setaffinity(*tid, std::mem::size_of_val(before), before) };
        }
    }
}

/// Thread `tid`'s CPUs (0: the calling thread).
#[cfg(target_os = "linux")]
fn affinity(tid: libc::pid_t) -> libc::cpu_set_t {
    // SAFETY: sched_getaffinity fills the zeroed set it is given.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let ok = libc::sched_getaffinity(tid, std::mem::size_of_val(&set), &mut set) == 0;
        assert!(ok, "sched_getaffinity({tid}) failed");
        set
    }
}

#[cfg(target_os = "linux")]
fn set_affinity(tid: libc::pid_t, set: &libc::cpu_set_t) {
    // SAFETY: sched_setaffinity reads `set`, a whole cpu_set_t.
    let ok = unsafe { libc::sched_setaffinity(tid, std::mem::size_of_val(set), set) == 0 };
    assert!(ok, "sched_setaffinity({tid}) failed");
}

#[cfg(target_os = "linux")]
fn only(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    }
}
