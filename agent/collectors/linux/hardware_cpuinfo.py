"""Processor model, vendor and sockets from /proc/cpuinfo (Linux)."""

from typing import Dict

CATEGORY = "hardware.cpu"


def is_enabled(ctx) -> bool:
    """Enabled where /proc/cpuinfo exists."""
    return ctx.exists("/proc/cpuinfo")


def parse_cpuinfo(text: str) -> Dict[str, object]:
    """Return model, vendor and socket count from /proc/cpuinfo text."""
    model = vendor = None
    sockets = set()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key in ("model name", "Model", "cpu model") and not model:
            model = " ".join(value.split())
        elif key in ("vendor_id", "CPU implementer") and not vendor:
            vendor = value
        elif key == "physical id":
            sockets.add(value)
    return {"model": model, "vendor": vendor, "sockets": len(sockets) or None}


def collect(ctx):
    """Fill in the CPU fields psutil does not know."""
    from agent.collectors.hardware import collect_cpu  # psutil counts, shared with hardware

    cpu = collect_cpu(model=False)
    info = parse_cpuinfo(ctx.read_text("/proc/cpuinfo") or "")
    if info["model"]:
        cpu.model = info["model"]
    else:  # ``uname -p`` through Python: the architecture at best, "unknown" on Debian
        import platform

        cpu.model = platform.processor() or None
    cpu.vendor = info["vendor"]
    cpu.sockets = info["sockets"]
    return cpu
