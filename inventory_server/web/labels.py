"""Translated labels for stored codes (roles, event kinds, states...), marked for extraction."""

from inventory_server.i18n import N_, _

LABELS = {
    # roles of people
    "admin": N_("Administrator"),
    "it_officer": N_("IT officer"),
    "security": N_("Security"),
    "auditor": N_("Auditor"),
    # roles of hosts
    "workstation": N_("Workstation"),
    "server": N_("Server"),
    "laptop": N_("Laptop"),
    # history events
    "software_installed": N_("Software installed"),
    "software_removed": N_("Software removed"),
    "software_upgraded": N_("Software upgraded"),
    "hardware_added": N_("Hardware added"),
    "hardware_removed": N_("Hardware removed"),
    "hardware_changed": N_("Hardware changed"),
    "posture_changed": N_("Security posture changed"),
    "os_changed": N_("Operating system changed"),
    # hardware components
    "cpu": N_("Processor"),
    "memory": N_("Memory module"),
    "disk": N_("Disk"),
    "monitor": N_("Monitor"),
    "battery": N_("Battery"),
    # antivirus coverage
    "protected": N_("Installed and running"),
    "not_running": N_("Installed, not running"),
    "missing": N_("No antivirus"),
    "unknown": N_("Unknown"),
    "other": N_("Other"),
    # licence classes
    "open_source": N_("Open source"),
    "licensed": N_("Licensed"),
    "freeware": N_("Freeware"),
    # enrollment secret states
    "active": N_("Active"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
    # audit actions
    "login": N_("Logged in"),
    "login_failed": N_("Failed log-in"),
    "logout": N_("Logged out"),
    "secret_created": N_("Enrollment secret created"),
    "secret_revoked": N_("Enrollment secret revoked"),
    "user_created": N_("User created"),
    "user_enabled": N_("User enabled"),
    "user_disabled": N_("User disabled"),
    "unit_created": N_("Unit created"),
    "export": N_("Export"),
    "host_revoked": N_("Host tokens revoked"),
    "password_set": N_("Password set"),
    # compliance statuses
    "pass": N_("Pass"),
    "fail": N_("Fail"),
    "not_applicable": N_("Not applicable"),
    "error": N_("Error"),
    # check severities
    "critical": N_("Critical"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
    # Ansible group kinds
    "unit": N_("Unit"),
    "os": N_("Operating system"),
    "role": N_("Role"),
    "policy": N_("Failing check"),
    # OS families
    "linux": N_("Linux"),
    "windows": N_("Windows"),
    "darwin": N_("macOS"),
}
"""Code → English label; pages show ``label(code)`` in the page language."""


def label(code) -> str:
    """Return the translated label of a stored code (or the code itself when it has none)."""
    if code is None:
        return "—"
    text = LABELS.get(code)
    return _(text) if text else str(code)
