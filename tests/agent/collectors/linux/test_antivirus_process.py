"""Commercial anti-malware recognised by process name or install directory."""

from agent.collectors.linux import antivirus_process


def test_running_daemon_and_installed_only():
    found = antivirus_process.detect(["bash", "kesl", "systemd"], ["/opt/eset/eea"])
    by = {p.name: p for p in found}
    assert by["Kaspersky Endpoint Security"].running is True
    assert by["ESET Endpoint Antivirus"].running is False
    assert len(found) == 2


def test_nothing_found():
    assert antivirus_process.detect(["bash", "sshd"], []) == []


def test_bkav_and_sophos_known():
    names = {p.name for p in antivirus_process.detect(["bkavservice", "sophos_threat_detector"],
                                                      [])}
    assert names == {"Bkav Endpoint", "Sophos Protection for Linux"}
