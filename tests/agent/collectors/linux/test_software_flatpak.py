"""flatpak list --columns parsing."""

from agent.collectors.linux import software_flatpak
from tests.agent.helpers import fixture_text


def test_system_and_user_installations():
    pkgs = software_flatpak.parse_flatpak_list(fixture_text("linux", "flatpak",
                                                            "list-columns.txt"))
    by = {p.name: p for p in pkgs}
    lo = by["org.libreoffice.LibreOffice"]
    assert lo.version == "7.6.4.1" and lo.origin == "flathub" and lo.scope == "machine"
    assert by["com.github.tchx84.Flatseal"].scope == "user"
    assert all(p.source == "flatpak" for p in pkgs) and len(pkgs) == 3


def test_header_line_is_skipped():
    text = "Application ID\tVersion\tBranch\tArch\tOrigin\tInstallation\n"
    assert software_flatpak.parse_flatpak_list(text) == []
