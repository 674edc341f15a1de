"""Defender, Security Center and service-based detection."""

from datetime import datetime, timezone

from agent.collectors.windows import (
    antivirus_defender,
    antivirus_securitycenter,
    antivirus_services,
)
from tests.agent.helpers import fixture_text

NOW = datetime(2023, 11, 21, 8, 0, tzinfo=timezone.utc)


def test_defender_normal_ws2022_docs_sample():
    """Real Get-MpComputerStatus sample (Microsoft's Windows Server 2022 reference page)."""
    (d,) = antivirus_defender.parse_mpcomputerstatus(
        fixture_text("windows", "defender", "ws2022-docs-normal.json"),
        now=datetime(2024, 6, 5, 15, 6, 27, tzinfo=timezone.utc))
    assert d.running is True and d.realtime is True and d.state == "Normal"
    assert d.version == "4.18.24050.7" and d.signature_version == "1.413.102.0"
    assert d.signature_date == datetime(2024, 6, 4, 15, 6, 27, tzinfo=timezone.utc)
    assert d.signature_age_days == 1.0  # the sample itself reports AntivirusSignatureAge 1
    assert (d.name, d.vendor, d.source) == ("Microsoft Defender Antivirus", "Microsoft", "defender")


def test_defender_not_running_beside_kaspersky():
    """Real sample: Defender stood down for Kaspersky (no signatures, age sentinel 65535)."""
    (d,) = antivirus_defender.parse_mpcomputerstatus(
        fixture_text("windows", "defender", "not-running-kaspersky.json"), now=NOW)
    assert d.running is False and d.realtime is False and d.state == "Not running"
    assert d.version == "4.18.24090.11"
    assert d.signature_version is None and d.signature_date is None
    assert d.signature_age_days is None  # 65535 means "never updated", not an age


def test_defender_passive_is_not_protecting():
    (d,) = antivirus_defender.parse_mpcomputerstatus(
        fixture_text("windows", "defender", "passive.json"), now=NOW)
    assert d.running is False and d.realtime is False and d.state == "Passive Mode"
    assert d.signature_age_days == 15.0


def test_defender_absent():
    assert antivirus_defender.parse_mpcomputerstatus(
        fixture_text("windows", "defender", "absent.json")) == []


def test_security_center_states():
    defender, kas = antivirus_securitycenter.parse_securitycenter(
        fixture_text("windows", "securitycenter", "defender-and-kaspersky.json"))
    assert defender.name == "Microsoft Defender Antivirus" and defender.running is False
    assert kas.running is True and kas.signatures_up_to_date is True
    (bkav,) = antivirus_securitycenter.parse_securitycenter(
        fixture_text("windows", "securitycenter", "bkav-outdated.json"))
    assert bkav.running is True and bkav.signatures_up_to_date is False


def test_security_center_real_defender_on():
    """Real Get-CimInstance AntivirusProduct output (Windows 10 19045): Defender on, current."""
    (d,) = antivirus_securitycenter.parse_securitycenter(
        fixture_text("windows", "securitycenter", "pnpt-defender-on.json"))
    assert d.name == "Microsoft Defender Antivirus" and d.source == "securitycenter"
    assert d.running is True and d.realtime is True and d.signatures_up_to_date is True
    assert d.state == "on, signatures current"


def test_decode_state():
    assert antivirus_securitycenter.decode_state(397568) == ("on", True)
    assert antivirus_securitycenter.decode_state(393472) == ("off", True)
    assert antivirus_securitycenter.decode_state(397584) == ("on", False)


def test_services_on_server_only():
    (eset,) = antivirus_services.parse_services(
        fixture_text("windows", "services", "server2019-eset.json"))
    assert eset.name == "ESET Security" and eset.running is True
    assert antivirus_services.parse_services(
        fixture_text("windows", "services", "workstation.json")) == []
    assert "'ekrn'" in antivirus_services.SCRIPT and "__NAMES__" not in antivirus_services.SCRIPT
