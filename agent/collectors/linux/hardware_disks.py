"""Block devices (not partitions) with model, serial and size from /sys/block (Linux)."""

import os
from typing import Dict, List, Optional

from agent.schema import Disk

CATEGORY = "hardware.disks"

_SKIP_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "drbd")


def is_enabled(ctx) -> bool:
    """Enabled where /sys/block exists."""
    return ctx.exists("/sys/block")


def _num(text):
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _str(text):
    text = (text or "").strip()
    return text or None


def _transport(name, devpath):
    if name.startswith("nvme"):
        return "nvme"
    if name.startswith("vd"):
        return "virtio"
    if name.startswith("mmcblk"):
        return "mmc"
    if "/usb" in devpath:
        return "usb"
    if "/ata" in devpath:
        return "sata"
    return None


def parse_block(name: str, files: Dict[str, Optional[str]], devpath: str = "") -> Optional[Disk]:
    """Build a Disk from a /sys/block/<name> directory's files (relative name -> contents)."""
    if name.startswith(_SKIP_PREFIXES):
        return None
    sectors = _num(files.get("size"))
    if not sectors:
        return None
    serial = _str(files.get("device/serial")) or _str(files.get("device/wwid"))
    return Disk(
        name=name,
        model=_str(files.get("device/model")),
        vendor=_str(files.get("device/vendor")),
        serial=serial,
        size_bytes=sectors * 512,  # /sys/block/*/size counts 512-byte sectors whatever the disk
        rotational=_num(files.get("queue/rotational")) == 1,
        removable=_num(files.get("removable")) == 1,
        transport=_transport(name, devpath),
    )


_FILES = ("size", "device/serial", "device/wwid", "device/model", "device/vendor",
          "queue/rotational", "removable")


def collect(ctx) -> List[Disk]:
    """List whole disks under /sys/block."""
    disks = []
    for name in ctx.listdir("/sys/block"):
        if name.startswith(_SKIP_PREFIXES):
            continue
        base = f"/sys/block/{name}"
        try:
            devpath = os.path.realpath(ctx.path(base))
        except OSError:
            devpath = ""
        disk = parse_block(name, {f: ctx.read_text(f"{base}/{f}") for f in _FILES}, devpath)
        if disk:
            disks.append(disk)
    return disks
