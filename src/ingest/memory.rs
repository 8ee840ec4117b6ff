//! The memory a run may use: what the kernel can give without swapping, within the limit of
//! the container it runs in.
//!
//! `/proc/meminfo` describes the host: in a Kubernetes pod with `resources.limits.memory: 4Gi`
//! on a 256 GB node it shows the node's memory, and a budget taken from it would let a
//! candidate the pod cannot hold be fitted, and the kernel kill the run. So the headroom of the
//! process's memory cgroup (its limit less what it holds, cgroup v2 or v1, the tightest of its
//! ancestors) caps it. Two or three small files are read by hand: `sysinfo` would bring a
//! crate (and its platform code) for them.

use std::path::Path;

/// The memory available to this process in bytes: `MemAvailable` of `/proc/meminfo`, capped
/// by its memory cgroup's headroom when the cgroup has a limit, and by the room left under an
/// address-space limit (`ulimit -v`, systemd's `LimitAS=`): past it an allocation fails and
/// the process aborts, so a budget above it let the selection fit a candidate the run could
/// not hold. `None` where none can be read (not Linux).
pub fn available_memory() -> Option<u64> {
    let host = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| meminfo_available(&m));
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let limited = capped(host, cgroup_headroom(&cgroups, Path::new("/sys/fs/cgroup")));
    capped(limited, address_space_left())
}

/// The room left now under the address-space limit (`ulimit -v`) and the data-segment limit
/// (`ulimit -d`, systemd's `LimitDATA=`: the heap and private mappings, every allocation of
/// kindred's since Linux 4.7), the smaller; `None` when both are unlimited. Under `ulimit -d`
/// alone the run aborted mid-ingest where `ulimit -v` of the same size was refused up front
/// (helper-155).
pub fn address_space_left() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let (address_space, data) = crate::progress::soft_limits();
    capped(address_space_room(address_space, &status, "VmSize:"), address_space_room(data, &status, "VmData:"))
}

/// The room under a `limit`: the limit less the process's size so far by `key` of
/// `/proc/self/status` (`VmSize:` for the address space, `VmData:` for the data segment;
/// without it, the limit).
fn address_space_room(limit: Option<u64>, status: &str, key: &str) -> Option<u64> {
    let size = status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().strip_suffix("kB").and_then(|n| n.trim().parse::<u64>().ok()).map(|kb| kb * 1024));
    limit.map(|limit| limit.saturating_sub(size.unwrap_or(0)))
}

/// The host's memory available, capped by the cgroup's headroom: the smaller of the two known.
fn capped(host: Option<u64>, headroom: Option<u64>) -> Option<u64> {
    match (host, headroom) {
        (Some(h), Some(c)) => Some(h.min(c)),
        (h, c) => h.or(c),
    }
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn meminfo_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A v1 limit this high is "no limit" (the kernel's page-counter maximum, rounded to pages).
const UNLIMITED_V1: u64 = 1 << 60;

/// The headroom of the memory cgroup `/proc/self/cgroup` (`cgroups`) names, under the cgroup
/// mount `root`: the least, over the cgroup and its ancestors with a limit, of the limit less
/// what that cgroup holds besides its file page cache (active and inactive: the kernel
/// reclaims it before it kills, as `MemAvailable` counts it available). `None` when no level
/// has a limit.
///
/// In a container the cgroup's path often names the host's hierarchy while the mount shows
/// the container's own cgroup at its root: the path is tried, then the mount's root.
fn cgroup_headroom(cgroups: &str, root: &Path) -> Option<u64> {
    let mut least: Option<u64> = None;
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next(), fields.next()?, fields.next()?);
        let (mount, v2) = match controllers {
            "" => (root.to_path_buf(), true),
            c if c.split(',').any(|c| c == "memory") => (root.join("memory"), false),
            _ => continue,
        };
        let leaf = [mount.join(path.trim_start_matches('/')), mount.clone()].into_iter().find(|d| d.is_dir());
        let Some(leaf) = leaf else { continue };
        for dir in leaf.ancestors().take_while(|d| d.starts_with(&mount)) {
            if let Some(room) = headroom(dir, v2) {
                least = Some(least.map_or(room, |l| l.min(room)));
            }
        }
    }
    least
}

/// One cgroup folder's limit less its use (v2: `memory.max`, `memory.current`; v1:
/// `memory.limit_in_bytes`, `memory.usage_in_bytes`), `None` without a limit.
fn headroom(dir: &Path, v2: bool) -> Option<u64> {
    let number = |name: &str| -> Option<u64> { std::fs::read_to_string(dir.join(name)).ok()?.trim().parse().ok() };
    let (limit, used, cache) = match v2 {
        true => (number("memory.max")?, number("memory.current")?, ["active_file", "inactive_file"]),
        false => (
            number("memory.limit_in_bytes").filter(|&l| l < UNLIMITED_V1)?,
            number("memory.usage_in_bytes")?,
            ["total_active_file", "total_inactive_file"],
        ),
    };
    let stat = std::fs::read_to_string(dir.join("memory.stat")).unwrap_or_default();
    let field = |key: &str| -> u64 {
        let value = stat.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')));
        value.and_then(|v| v.trim().parse().ok()).unwrap_or(0)
    };
    let reclaimable: u64 = cache.iter().map(|key| field(key)).sum();
    Some(limit.saturating_sub(used.saturating_sub(reclaimable)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const GIB: u64 = 1 << 30;

    /// A cgroup folder under a fake mount, for the tests.
    fn cgroup(root: &Path, path: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = root.join(path);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn the_memory_available_is_read_on_linux() {
        // the default of [input] max_bytes and [select] memory_budget
        if cfg!(target_os = "linux") {
            let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
            let total = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:")).unwrap();
            let total: u64 = total.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024;
            let bytes = available_memory().unwrap();
            assert!(bytes > 1 << 26 && bytes <= total, "{bytes} of {total}");
        }
        assert_eq!(meminfo_available("MemTotal: 9 kB\nMemAvailable:   23082060 kB\n"), Some(23_082_060 * 1024));
    }

    /// `ulimit -v` (an address-space limit) caps the room: the limit less the mapped size.
    #[test]
    fn an_address_space_limit_caps_the_memory_available() {
        let status = "Name:\tkindred\nVmPeak:\t  300000 kB\nVmSize:\t  262144 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(address_space_room(Some(GIB), status, "VmSize:"), Some(GIB - 256 * 1024 * 1024));
        assert_eq!(address_space_room(Some(GIB / 8), status, "VmSize:"), Some(0));
        assert_eq!(address_space_room(None, status, "VmSize:"), None);
        assert_eq!(address_space_room(Some(GIB), "", "VmSize:"), Some(GIB));
        assert_eq!(
            capped(Some(20 * GIB), address_space_room(Some(GIB), status, "VmSize:")),
            Some(GIB - 256 * 1024 * 1024)
        );
    }

    /// A pod's limit of 4 GiB, 1 GiB held of which 0.25 GiB (and 9 bytes) is file page cache:
    /// 3.25 GiB of room, whatever the host has.
    #[test]
    fn a_cgroup_v2_limit_caps_the_memory_available() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let stat = format!("anon 1\ninactive_file {}\nactive_file 9\n", GIB / 4);
        let (limit, used) = ((4 * GIB).to_string(), GIB.to_string());
        cgroup(root, "kubepods/pod1/c1", &[("memory.max", "max"), ("memory.current", "5")]);
        cgroup(root, "kubepods/pod1", &[("memory.max", &limit), ("memory.current", &used), ("memory.stat", &stat)]);
        let room = cgroup_headroom("0::/kubepods/pod1/c1\n", root);
        assert_eq!(room, Some(4 * GIB - (GIB - GIB / 4 - 9)));
        // on a 256 GB node the pod's room is what a run may use
        assert_eq!(capped(Some(256 * GIB), room), room);
        assert_eq!(capped(Some(GIB), room), Some(GIB));
        assert_eq!((capped(Some(GIB), None), capped(None, room)), (Some(GIB), room));
        // no limit at any level, or no cgroup line: nothing to cap with
        let free = tempfile::tempdir().unwrap();
        cgroup(free.path(), "a", &[("memory.max", "max\n"), ("memory.current", "7\n")]);
        assert_eq!(cgroup_headroom("0::/a\n", free.path()), None);
        assert_eq!(cgroup_headroom("", root), None);
    }

    /// Inside the container the path names the host's hierarchy, the mount shows the
    /// container's cgroup at its root; v1's "no limit" is a huge number.
    #[test]
    fn a_cgroup_v1_limit_is_read_at_the_mounts_root_when_the_path_is_the_hosts() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let stat = "cache 5\ntotal_inactive_file 60\ninactive_file 1\ntotal_active_file 40\n";
        let limit = (2 * GIB).to_string();
        cgroup(
            root,
            "memory",
            &[("memory.limit_in_bytes", &limit), ("memory.usage_in_bytes", "1100"), ("memory.stat", stat)],
        );
        let lines = "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n";
        assert_eq!(cgroup_headroom(lines, root), Some(2 * GIB - 1000));
        let unlimited = tempfile::tempdir().unwrap();
        let huge = "9223372036854771712";
        cgroup(unlimited.path(), "memory/p", &[("memory.limit_in_bytes", huge), ("memory.usage_in_bytes", "5")]);
        assert_eq!(cgroup_headroom("4:memory:/p\n", unlimited.path()), None);
    }
}
