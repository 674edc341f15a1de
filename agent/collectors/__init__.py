"""Collectors: one module per subject and source.

Each module declares ``CATEGORY`` (the report path it fills, e.g. ``os``, ``hardware.system``,
``software.packages``, ``security.antivirus``), ``is_enabled(ctx)`` and ``collect(ctx)``, and
does no work at import. A list result extends the list at its path; anything else replaces it.
"""

import importlib
import sys

MODULES = (
    # all platforms (psutil)
    "agent.collectors.os_info",
    "agent.collectors.hardware",
    "agent.collectors.network",
    "agent.collectors.office_libreoffice",
    "agent.collectors.mail_thunderbird",
    # Linux
    "agent.collectors.linux.hardware_dmi",
    "agent.collectors.linux.hardware_cpuinfo",
    "agent.collectors.linux.hardware_disks",
    "agent.collectors.linux.hardware_memory",
    "agent.collectors.linux.hardware_edid",
    "agent.collectors.linux.hardware_battery",
    "agent.collectors.linux.software_deb",
    "agent.collectors.linux.software_rpm",
    "agent.collectors.linux.software_snap",
    "agent.collectors.linux.software_flatpak",
    "agent.collectors.linux.antivirus_clamav",
    "agent.collectors.linux.antivirus_process",
    "agent.collectors.linux.firewall_netfilter",
    "agent.collectors.linux.updates_apt",
    "agent.collectors.linux.updates_dnf",
    "agent.collectors.linux.accounts_shadow",
    "agent.collectors.linux.encryption_lsblk",
    "agent.collectors.linux.screenlock_dconf",
    "agent.collectors.linux.ssh_openssh",
    "agent.collectors.linux.mail_postfix",
    # Windows (PowerShell with ConvertTo-Json; parsers tested on Linux with captured output)
    "agent.collectors.windows.os_cim",
    "agent.collectors.windows.hardware_wmi",
    "agent.collectors.windows.software_registry",
    "agent.collectors.windows.software_licensing",
    "agent.collectors.windows.antivirus_defender",
    "agent.collectors.windows.antivirus_securitycenter",
    "agent.collectors.windows.antivirus_services",
    "agent.collectors.windows.firewall_netsecurity",
    "agent.collectors.windows.updates_windowsupdate",
    "agent.collectors.windows.accounts_local",
    "agent.collectors.windows.encryption_bitlocker",
    "agent.collectors.windows.screenlock_policy",
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
