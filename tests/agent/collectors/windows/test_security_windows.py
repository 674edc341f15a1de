"""Firewall, updates, accounts, BitLocker and screen lock parsers."""

import json

from agent.collectors.windows import (
    accounts_local,
    encryption_bitlocker,
    firewall_netsecurity,
    screenlock_policy,
    updates_windowsupdate,
)
from tests.agent.helpers import fixture_text


def test_firewall_all_on_string_enums():
    f = firewall_netsecurity.parse_profiles(fixture_text("windows", "firewall", "all-on.json"))
    assert f.enabled is True and f.default_inbound == "block"
    assert [p.name for p in f.profiles] == ["domain", "private", "public"]


def test_firewall_public_off_numeric_enums():
    f = firewall_netsecurity.parse_profiles(fixture_text("windows", "firewall",
                                                         "public-off.json"))
    assert f.enabled is False
    public = next(p for p in f.profiles if p.name == "public")
    assert public.enabled is False and public.default_inbound == "allow"


def test_firewall_active_store_domain_docs_sample():
    """Real -PolicyStore ActiveStore output (WSL docs; only the Domain profile was quoted)."""
    f = firewall_netsecurity.parse_profiles(fixture_text("windows", "firewall",
                                                         "wsl-docs-activestore-domain.json"))
    (domain,) = f.profiles
    assert (domain.name, domain.enabled, domain.default_inbound) == ("domain", True, "block")
    assert f.enabled is True and f.default_inbound == "block" and f.backend == "windows"


def test_updates_default_automatic():
    u = updates_windowsupdate.parse_windowsupdate(fixture_text("windows", "windowsupdate",
                                                               "default-auto.json"))
    assert u.automatic is True and u.mechanism == "windows-update"
    assert u.last_update.isoformat() == "2023-11-19T08:00:00+00:00"
    assert u.reboot_required is False


def test_updates_wsus_notify_only():
    u = updates_windowsupdate.parse_windowsupdate(fixture_text("windows", "windowsupdate",
                                                               "wsus-notify.json"))
    assert u.automatic is False and u.mechanism == "wsus" and u.reboot_required is True
    assert u.last_update.year == 2023 and u.last_update.month == 10


def test_accounts_english():
    a = accounts_local.parse_accounts(fixture_text("windows", "accounts", "win11-en.json"))
    assert a.administrators == ["PC-KT01\\Administrator", "PC-KT01\\quantri",
                                "SOTTTT\\Domain Admins"]
    users = {u.name: u for u in a.users}
    assert users["quantri"].admin is True and users["ketoan"].admin is False
    assert users["Guest"].disabled is True and users["quantri"].last_login is not None
    assert (a.password_min_length, a.password_max_days, a.lockout_threshold) == (8, 42, 0)


def test_accounts_single_objects_and_unlimited_age():
    a = accounts_local.parse_accounts(fixture_text("windows", "accounts",
                                                   "single-admin-unlimited.json"))
    assert a.administrators == ["SRV-01\\Administrator"] and a.users[0].admin is True
    assert (a.password_min_length, a.password_max_days, a.lockout_threshold) == (14, None, 5)


def test_net_accounts_by_position_in_any_language():
    text = "Buộc đăng xuất:     Không bao giờ\nTuổi mật khẩu tối thiểu (ngày):  0\n" \
           "Tuổi mật khẩu tối đa (ngày):  90\nĐộ dài mật khẩu tối thiểu:  12\n"
    values = accounts_local.parse_net_accounts(text)
    assert values["max_age"] == "90" and values["min_length"] == "12"


def test_bitlocker_five_volumes_docs_sample():
    """Real Get-BitLockerVolume table (Microsoft's reference page): one volume encrypting."""
    e = encryption_bitlocker.parse_bitlocker(fixture_text("windows", "bitlocker",
                                                          "docs-five-volumes.json"))
    assert [v.mountpoint for v in e.volumes] == ["D:", "E:", "C:", "F:", "G:"]
    assert e.root_encrypted is False  # C: is FullyDecrypted
    d = e.volumes[0]
    assert (d.encrypted, d.protection_on, d.method) == (False, False, "bitlocker")
    assert all(v.encrypted is False and v.method is None for v in e.volumes[1:])


def test_bitlocker_os_volume_on_docs_sample():
    e = encryption_bitlocker.parse_bitlocker(fixture_text("windows", "bitlocker",
                                                          "docs-os-on.json"))
    (c,) = e.volumes
    assert e.root_encrypted is True
    assert (c.mountpoint, c.encrypted, c.protection_on, c.method) == (
        "C:", True, True, "bitlocker")


def test_bitlocker_protection_off_issue_sample():
    """Real sample: fully encrypted, protection Off ('waiting for activation')."""
    e = encryption_bitlocker.parse_bitlocker(fixture_text("windows", "bitlocker",
                                                          "intune77-os-protection-off.json"))
    (c,) = e.volumes
    assert (c.mountpoint, c.encrypted, c.protection_on) == ("C:", True, False)
    assert e.root_encrypted is False  # the key is in the clear until protection is on
    assert encryption_bitlocker.parse_bitlocker("").root_encrypted is None


def test_screenlock():
    m = screenlock_policy.parse_screenlock(fixture_text("windows", "screenlock",
                                                        "machine-policy.json"))
    assert m.enabled is True and m.idle_delay_seconds == 600 and m.enforced is True
    u = screenlock_policy.parse_screenlock(fixture_text("windows", "screenlock",
                                                        "user-settings-only.json"))
    assert u.enabled is True and u.idle_delay_seconds == 300 and u.enforced is False
    n = screenlock_policy.parse_screenlock(fixture_text("windows", "screenlock", "none.json"))
    assert n.enabled is False


def test_net_accounts_real_workstation_defaults():
    """Real ``net accounts`` output (kolide/launcher issue 580): a workstation's defaults."""
    text = fixture_text("windows", "accounts", "net-accounts-workstation-kolide580.txt")
    assert accounts_local.parse_net_accounts(text) == {
        "force_logoff": "Never", "min_age": "0", "max_age": "42", "min_length": "6",
        "history": "None", "lockout_threshold": "Never", "lockout_duration": "30",
        "lockout_window": "30",
    }
    # The same text as the script's NetAccounts field: "Never" locks nobody out (0).
    a = accounts_local.parse_accounts(json.dumps({"NetAccounts": text}))
    assert (a.password_min_length, a.password_max_days, a.lockout_threshold) == (6, 42, 0)


def test_net_accounts_real_server_policy():
    """Real ``net accounts`` output from a managed SQL server (MicrosoftDocs/sql-docs PR 10196)."""
    text = fixture_text("windows", "accounts", "net-accounts-server-sqlmi.txt")
    values = accounts_local.parse_net_accounts(text)
    assert (values["min_age"], values["max_age"], values["min_length"], values["history"]) == (
        "1", "60", "14", "24")
    assert (values["lockout_threshold"], values["lockout_duration"],
            values["lockout_window"]) == ("10", "10", "10")
    a = accounts_local.parse_accounts(json.dumps({"NetAccounts": text}))
    assert (a.password_min_length, a.password_max_days, a.lockout_threshold) == (14, 60, 10)
    assert a.users == [] and a.administrators == []
