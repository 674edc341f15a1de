"""Collectors: one module per subject and source.

Each module declares ``CATEGORY`` (the report path it fills, e.g. ``os``, ``hardware.system``,
``software.packages``, ``security.antivirus``), ``is_enabled(ctx)`` and ``collect(ctx)``, and
does no work at import. A list result extends the list at its path; anything else replaces it.
"""

import importlib
import sys

MODULES = (
    "agent.collectors.os_info",
    "agent.collectors.hardware",
    "agent.collectors.network",
    "agent.collectors.linux.hardware_dmi",
    "agent.collectors.linux.hardware_cpuinfo",
    "agent.collectors.linux.hardware_disks",
    "agent.collectors.linux.software_deb",
    "agent.collectors.linux.software_rpm",
)
"""Every collector module, in the order they run."""

LINUX_ONLY_PREFIX = "agent.collectors.linux."
WINDOWS_ONLY_PREFIX = "agent.collectors.windows."


def load(platform: str = sys.platform):
    """Import and return the collector modules that can run on ``platform``."""
    out = []
    for name in MODULES:
        if name.startswith(LINUX_ONLY_PREFIX) and not platform.startswith("linux"):
            continue
        if name.startswith(WINDOWS_ONLY_PREFIX) and platform != "win32":
            continue
        out.append(importlib.import_module(name))
    return out
