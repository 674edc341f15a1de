"""Processors, memory and mounted file systems through psutil (all platforms)."""

import platform
import sys

import psutil

from agent.schema import CPU, FileSystem, Hardware, Memory

CATEGORY = "hardware"

# Pseudo and virtual file systems that are not storage an auditor counts.
_SKIP_FSTYPES = {
    "squashfs", "tmpfs", "devtmpfs", "overlay", "proc", "sysfs", "cgroup", "cgroup2",
    "autofs", "fuse.snapfuse", "nsfs", "efivarfs", "ramfs",
}


def is_enabled(ctx) -> bool:
    """Always enabled."""
    return True


def collect_cpu(model: bool = True) -> CPU:
    """Return processor counts and frequency from psutil, and the model from Python if asked.

    On Linux ``platform.processor()`` runs ``uname -p`` (a process, several milliseconds) and
    gets "unknown" or the architecture; the model comes from /proc/cpuinfo there instead
    (``linux/hardware_cpuinfo``, which asks Python only when cpuinfo names no model).
    """
    try:
        f = psutil.cpu_freq()
        freq = float(f.max) if f and f.max else None  # current speed changes every run
    except (OSError, NotImplementedError, AttributeError):
        freq = None
    return CPU(
        model=(platform.processor() or None) if model else None,
        cores=psutil.cpu_count(logical=False),
        threads=psutil.cpu_count(logical=True),
        max_mhz=freq or None,
    )


def round_used(used: int, total: int) -> int:
    """Round used space down to 1% of the size (at least 64 MiB) so deltas stay quiet."""
    step = max(64 * 1024 * 1024, total // 100)
    return used // step * step


def collect(ctx) -> Hardware:
    """Return CPU counts, memory size and local file systems."""
    cpu = collect_cpu(model=not sys.platform.startswith("linux"))  # psutil reads this machine
    vm = psutil.virtual_memory()
    swap = psutil.swap_memory()
    filesystems = []
    seen = set()
    for part in psutil.disk_partitions(all=False):
        if part.fstype in _SKIP_FSTYPES or part.mountpoint in seen:
            continue
        if part.mountpoint.startswith(("/snap/", "/run/", "/proc", "/sys", "/dev")):
            continue
        seen.add(part.mountpoint)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue
        filesystems.append(
            FileSystem(
                mountpoint=part.mountpoint,
                device=part.device or None,
                fstype=part.fstype or None,
                total_bytes=usage.total,
                used_bytes=round_used(usage.used, usage.total),
            )
        )
    return Hardware(
        cpu=cpu,
        memory=Memory(total_bytes=vm.total, swap_bytes=swap.total),
        filesystems=filesystems,
    )
