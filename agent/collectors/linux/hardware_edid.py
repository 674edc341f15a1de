"""Connected monitors from the EDID blocks the kernel exposes under /sys/class/drm."""

from typing import List, Optional

from agent.schema import Monitor

CATEGORY = "hardware.monitors"

DRM_DIR = "/sys/class/drm"
_HEADER = bytes([0, 255, 255, 255, 255, 255, 255, 0])


def is_enabled(ctx) -> bool:
    """Enabled where the kernel has a DRM subsystem."""
    return ctx.exists(DRM_DIR)


def _descriptor_text(block: bytes) -> str:
    return block[5:18].split(b"\n")[0].decode("cp437", "replace").strip()


def parse_edid(data: bytes, connector: Optional[str] = None) -> Optional[Monitor]:
    """Decode the base EDID block: PNP vendor id, model name, serial, year and image size."""
    if len(data) < 128 or data[:8] != _HEADER:
        return None
    word = (data[8] << 8) | data[9]
    vendor = "".join(chr(((word >> shift) & 0x1F) + 64) for shift in (10, 5, 0))
    product_code = data[10] | (data[11] << 8)
    serial_number = int.from_bytes(data[12:16], "little")
    year = data[17] + 1990 if data[17] else None
    name = serial_text = None
    for off in (54, 72, 90, 108):
        block = data[off:off + 18]
        if block[0:3] == b"\0\0\0":
            if block[3] == 0xFC:
                name = _descriptor_text(block) or name
            elif block[3] == 0xFF:
                serial_text = _descriptor_text(block) or serial_text
    width, height = data[21], data[22]
    return Monitor(
        vendor=vendor if vendor.isalpha() else None,
        model=name or f"{vendor}{product_code:04X}",
        serial=serial_text or (str(serial_number) if serial_number else None),
        manufacture_year=year,
        connector=connector,
        size_cm=f"{width}x{height}" if width and height else None,
    )


def collect(ctx) -> List[Monitor]:
    """Read the EDID of every connected output (card0-HDMI-A-1/edid...)."""
    monitors = []
    for entry in ctx.listdir(DRM_DIR):
        if "-" not in entry:
            continue
        status = (ctx.read_text(f"{DRM_DIR}/{entry}/status") or "").strip()
        if status and status != "connected":
            continue
        try:
            with open(ctx.path(f"{DRM_DIR}/{entry}/edid"), "rb") as fh:
                data = fh.read(256)
        except OSError:
            continue
        monitor = parse_edid(data, connector=entry.split("-", 1)[1])
        if monitor:
            monitors.append(monitor)
    return monitors
