//! Reserve: the address space faer's matrix products take beside the matrices, and whether a
//! model of the EASE family fits the room an address-space limit leaves.
//!
//! On x86-64, faer multiplies through `private-gemm-x86` (0.1), which keeps on every thread
//! that runs a product a buffer of twice its view of the L3 cache (the packed left and right
//! blocks), allocated whole at the thread's first product and kept. The view is the L3's size
//! over the CPUs sharing it, times the physical cores (and at least 2 MiB, and 4 × L2). Its
//! pages are touched only as far as a product's blocks reach, so the resident memory the
//! selection's budget counts hardly moves; but under an address-space limit (`ulimit -v`,
//! systemd's `LimitAS=`) the whole buffer counts, and past the limit the allocation aborts
//! the run (no record, no message). Found on a machine whose virtual CPUs report the host's
//! 300 MiB L3: 600 MiB a thread, where the machine the limit's test was written on reserved
//! tens. So the buffer is read off this machine's caches, as the crate reads them (sysfs),
//! and added to a model's need when an address-space limit is set.

use std::path::Path;

use crate::config::Kind;
use crate::error::ConfigError;

/// The bytes `private-gemm-x86` reserves on each thread that multiplies, as it reads the
/// caches of the CPUs under `cpus` (`/sys/devices/system/cpu`): twice its view of the L3. Its
/// defaults where nothing reads (not Linux: there is then no sysfs, and its own defaults hold).
pub fn per_thread(cpus: &Path) -> u64 {
    const LEAST: [u64; 3] = [32 << 10, 256 << 10, 2 << 20];
    const PAGE: u64 = 4096;
    let caches = caches(&cpus.join("cpu0/cache"));
    let share = |level: u64| caches.iter().find(|c| c.level == level).map_or(0, |c| c.bytes / c.shared.max(1));
    let l1_shared = caches.iter().find(|c| c.level == 1).map_or(1, |c| c.shared.max(1));
    let l1 = (share(1) * l1_shared).max(LEAST[0]);
    let l2 = (share(2) * l1_shared).max(LEAST[1]).max(4 * l1);
    let l3 = (share(3) * l1_shared * physical_cores(cpus)).max(LEAST[2]).max(4 * l2);
    2 * l3.div_ceil(PAGE) * PAGE
}

/// [`per_thread`] on this machine, read once.
fn this_machine() -> u64 {
    static BYTES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| per_thread(Path::new("/sys/devices/system/cpu")))
}

/// The threads that may run a product: the current rayon pool's (faer splits its work over
/// them), and the calling thread when it is none of them.
fn threads() -> u64 {
    (rayon::current_num_threads() + usize::from(rayon::current_thread_index().is_none())) as u64
}

/// What [`fits`]' refusal says of the limit: the selection's log tells a candidate skipped
/// for it by these words.
pub const ADDRESS_SPACE: &str = "left under the address-space limit";

/// Refuses a model of the EASE family whose `need` (bytes, its resident estimate and what the
/// caller adds) and the buffers faer reserves on each thread exceed `room`, the address space
/// left under a limit (`None`: no limit, nothing to refuse).
pub fn fits(kind: Kind, need: u64, room: Option<u64>) -> Result<(), ConfigError> {
    let Some(room) = room.filter(|_| kind.is_ease()) else { return Ok(()) };
    let (per, threads) = (this_machine(), threads());
    if need.saturating_add(per * threads) <= room {
        return Ok(());
    }
    let gb = |b: u64| b as f64 / 1e9;
    let name = if kind == Kind::Ease { "ease" } else { "sparse_ease" };
    Err(ConfigError::Invalid {
        key: "[model] kind".into(),
        message: format!(
            "\"{name}\" needs about {:.2} GB of address space — {:.2} GB for the model, and {:.2} GB that faer's matrix products reserve on each of {threads} threads (twice this CPU's L3 cache as they read it) — more than the {:.2} GB {ADDRESS_SPACE} (ulimit -v, systemd's LimitAS=): raise the limit, run fewer threads (--threads), or use kind = \"item\" or \"user\"",
            gb(need.saturating_add(per * threads)),
            gb(need),
            gb(per),
            gb(room)
        ),
    })
}

/// One data or unified cache of a CPU: its level, size and the CPUs sharing it.
struct Cache {
    level: u64,
    bytes: u64,
    shared: u64,
}

/// The data and unified caches listed under a CPU's `cache` folder (`index0`, `index1`, …).
fn caches(folder: &Path) -> Vec<Cache> {
    let Ok(listed) = std::fs::read_dir(folder) else { return Vec::new() };
    let read = |index: &Path, name: &str| std::fs::read_to_string(index.join(name)).unwrap_or_default();
    let mut out = Vec::new();
    for index in listed.flatten().map(|e| e.path()) {
        if !matches!(read(&index, "type").trim(), "Data" | "Unified") {
            continue;
        }
        let (Ok(level), Some(bytes)) = (read(&index, "level").trim().parse(), size(read(&index, "size").trim())) else {
            continue;
        };
        out.push(Cache { level, bytes, shared: cpu_count(read(&index, "shared_cpu_list").trim()) });
    }
    out
}

/// A sysfs cache size ("48K", "2048K", "300M", "1G", bytes).
fn size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().last()? {
        (at, 'K') => (&text[..at], 1 << 10),
        (at, 'M') => (&text[..at], 1 << 20),
        (at, 'G') => (&text[..at], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok().map(|n| n * unit)
}

/// The CPUs of a list as sysfs writes it ("0-1,4,6-7").
fn cpu_count(list: &str) -> u64 {
    let range = |item: &str| match item.split_once('-') {
        Some((a, b)) => b.parse::<u64>().ok().zip(a.parse::<u64>().ok()).map_or(0, |(b, a)| b + 1 - a.min(b + 1)),
        None => u64::from(!item.is_empty()),
    };
    list.split(',').map(range).sum()
}

/// The physical cores under `cpus`: distinct (package, core) pairs of `cpuN/topology` (what
/// `num_cpus::get_physical` counts), at least one.
fn physical_cores(cpus: &Path) -> u64 {
    let Ok(listed) = std::fs::read_dir(cpus) else { return 1 };
    let id = |cpu: &Path, name: &str| std::fs::read_to_string(cpu.join("topology").join(name)).ok();
    let mut cores: Vec<(String, String)> = listed
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.strip_prefix("cpu").is_some_and(|d| d.parse::<u32>().is_ok()))
        })
        .filter_map(|cpu| Some((id(&cpu, "physical_package_id")?, id(&cpu, "core_id")?)))
        .collect();
    cores.sort();
    cores.dedup();
    (cores.len() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sysfs tree of `cpus` CPUs (one core each, one package) whose cpu0 has `caches`:
    /// (level, type, size, shared_cpu_list).
    fn sysfs(cpus: usize, caches: &[(u64, &str, &str, &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for cpu in 0..cpus {
            let topology = root.path().join(format!("cpu{cpu}/topology"));
            std::fs::create_dir_all(&topology).unwrap();
            std::fs::write(topology.join("physical_package_id"), "0\n").unwrap();
            std::fs::write(topology.join("core_id"), format!("{cpu}\n")).unwrap();
        }
        for (k, (level, kind, size, shared)) in caches.iter().enumerate() {
            let index = root.path().join(format!("cpu0/cache/index{k}"));
            std::fs::create_dir_all(&index).unwrap();
            for (name, text) in [("level", level.to_string()), ("type", kind.to_string())] {
                std::fs::write(index.join(name), text + "\n").unwrap();
            }
            std::fs::write(index.join("size"), format!("{size}\n")).unwrap();
            std::fs::write(index.join("shared_cpu_list"), format!("{shared}\n")).unwrap();
        }
        std::fs::create_dir_all(root.path().join("cpufreq")).unwrap(); // not a CPU
        root
    }

    #[test]
    fn the_reserve_is_twice_the_l3_view_as_the_gemm_crate_reads_it() {
        // the machine this was found on: 2 vCPUs reporting the host's 300 MiB L3, shared by
        // both: 150 MiB × 2 cores, twice → 600 MiB (the allocation that aborted: 629,145,600)
        let found = [
            (1, "Data", "48K", "0"),
            (1, "Instruction", "32K", "0"),
            (2, "Unified", "2048K", "0"),
            (3, "Unified", "307200K", "0-1"),
        ];
        assert_eq!(per_thread(sysfs(2, &found).path()), 629_145_600);
        // 16 cores sharing 32 MiB: 2 MiB a core × 16, twice → 64 MiB
        let desktop = [(1, "Data", "32K", "0"), (2, "Unified", "1M", "0"), (3, "Unified", "32M", "0-15")];
        assert_eq!(per_thread(sysfs(16, &desktop).path()), 64 << 20);
        // no L3: at least 4 × L2 (4 × 1 MiB, twice); nothing to read: the 2 MiB default, twice
        assert_eq!(per_thread(sysfs(4, &[(2, "Unified", "1M", "0")]).path()), 8 << 20);
        assert_eq!(per_thread(Path::new("/nonexistent")), 4 << 20);
    }

    #[test]
    fn sysfs_sizes_and_cpu_lists_read() {
        assert_eq!(size("48K"), Some(48 << 10));
        assert_eq!(size("300M"), Some(300 << 20));
        assert_eq!(size("1G"), Some(1 << 30));
        assert_eq!(size("512"), Some(512));
        assert_eq!(size("x"), None);
        assert_eq!(cpu_count("0-1,4,6-7"), 5);
        assert_eq!(cpu_count("3"), 1);
        assert_eq!(cpu_count(""), 0);
    }

    #[test]
    fn an_ease_model_fits_the_room_with_its_reserve_or_is_refused_saying_so() {
        let reserve = this_machine() * threads();
        // no limit, or a model that multiplies nothing with faer: nothing to refuse
        assert!(fits(Kind::Ease, u64::MAX / 2, None).is_ok());
        assert!(fits(Kind::User, 1 << 40, Some(1)).is_ok());
        // the reserve counts: room for the model alone is not room enough
        assert!(fits(Kind::Ease, 1000, Some(1000 + reserve)).is_ok());
        let short = fits(Kind::SparseEase, 1000, Some(999 + reserve)).unwrap_err().to_string();
        assert!(
            short.contains("\"sparse_ease\"") && short.contains("ulimit -v") && short.contains("--threads"),
            "{short}"
        );
    }
}
