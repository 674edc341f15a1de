"""Uninstall-key parsing: machine 64/32-bit and per-user, updates and components skipped."""

from datetime import datetime, timezone

from agent.collectors.windows import software_registry
from tests.agent.helpers import fixture_text


def test_programs():
    pkgs = software_registry.parse_uninstall(fixture_text("windows", "uninstall",
                                                          "win11-mixed.json"))
    names = [p.name for p in pkgs]
    assert "Microsoft Visual C++ 2022 X64 Minimum Runtime - 14.38.33130" not in names  # component
    assert not any(n.startswith("Security Update") for n in names)
    assert names.count("Zalo 23.12.1") == 1
    by = {p.name: p for p in pkgs}
    lo = by["LibreOffice 7.6.4.1"]
    assert lo.install_date == datetime(2024, 1, 15, tzinfo=timezone.utc)
    assert lo.publisher == "The Document Foundation" and lo.arch == "x64"
    assert lo.size_kb == 689712
    assert by["Unikey 4.3 RC5"].arch == "x86"
    assert by["Zalo 23.12.1"].scope == "user" and by["7-Zip 23.01 (x64)"].scope == "machine"
    assert all(p.source == "windows" for p in pkgs) and len(pkgs) == 5


def test_empty_output():
    assert software_registry.parse_uninstall("") == []
    assert software_registry.parse_uninstall("[]") == []


def test_real_wechat_entry_unicode_and_no_install_date():
    """Real Uninstall-key values (Xutaotaotao/get-installed-apps issue 8): no InstallDate."""
    (p,) = software_registry.parse_uninstall(fixture_text("windows", "uninstall",
                                                           "wechat-issue8.json"))
    assert (p.name, p.version, p.publisher) == ("微信", "3.9.10.19", "腾讯科技(深圳)有限公司")
    assert p.install_date is None
    assert p.size_kb == 669051  # EstimatedSize 0xa357b
