"""snap list parsing."""

from agent.collectors.linux import software_snap
from tests.agent.helpers import fixture_text


def test_active_revisions_with_publisher_and_channel():
    pkgs = software_snap.parse_snap_list(fixture_text("linux", "snap", "ubuntu-desktop.txt"))
    names = [p.name for p in pkgs]
    assert names.count("firefox") == 1  # the disabled older revision is skipped
    ff = next(p for p in pkgs if p.name == "firefox")
    assert ff.version == "120.0.1-1" and ff.publisher == "mozilla" and ff.source == "snap"
    zoom = next(p for p in pkgs if p.name == "zoom-client")
    assert zoom.publisher == "linuxnorth" and zoom.section == "latest/stable"
    assert len(pkgs) == 6
