"""Block devices (not partitions) with model, serial and size from /sys/block (Linux)."""

import os
from typing import List

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


def collect(ctx) -> List[Disk]:
    """List whole disks under /sys/block."""
    disks = []
    for name in ctx.listdir("/sys/block"):
        if name.startswith(_SKIP_PREFIXES):
            continue
        base = f"/sys/block/{name}"
        sectors = _num(ctx.read_text(f"{base}/size"))
        if not sectors:
            continue
        try:
            devpath = os.path.realpath(ctx.path(base))
        except OSError:
            devpath = ""
        serial = _str(ctx.read_text(f"{base}/device/serial"))
        if serial is None:
            wwid = _str(ctx.read_text(f"{base}/device/wwid"))
            serial = wwid
        disks.append(
            Disk(
                name=name,
                model=_str(ctx.read_text(f"{base}/device/model")),
                vendor=_str(ctx.read_text(f"{base}/device/vendor")),
                serial=serial,
                size_bytes=sectors * 512,
                rotational=_num(ctx.read_text(f"{base}/queue/rotational")) == 1,
                removable=_num(ctx.read_text(f"{base}/removable")) == 1,
                transport=_transport(name, devpath),
            )
        )
    return disks
