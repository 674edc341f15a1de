"""The remediations the shipped compliance packs name: check id -> (role, tags)."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PACKS_DIR = REPO / "inventory_server" / "compliance" / "packs"

# Check ids the roles were first specified with; kept as tags beside the packs' own ids.
SPECIFIED_CHECK_IDS = {
    "av_healthy", "av_installed", "av_realtime", "av_signatures_fresh", "mail_configured",
    "mail_relay_configured", "office_odf_default", "office_macro_security",
}


def role_remediations() -> dict[str, tuple[str, list[str]]]:
    """Return, for every pack check remediated by a role, the role and the tags it names."""
    found: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(PACKS_DIR.glob("*.yml")):
        for check in yaml.safe_load(path.read_text()).get("checks", []):
            remediation = check.get("remediation") or {}
            if "role" in remediation:
                found.setdefault(check["id"], (remediation["role"], remediation.get("tags", [])))
    return found
