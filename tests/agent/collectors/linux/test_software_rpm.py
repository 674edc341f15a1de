"""rpm -qa parsing (output of rpm 4.18 on two locally built packages)."""

from datetime import datetime, timezone

from agent.collectors.linux import software_rpm
from tests.agent.helpers import fixture_text


def test_query_output():
    pkgs = {p.name: p for p in software_rpm.parse_query(
        fixture_text("linux", "rpm", "qa-two-packages.txt"))}
    font = pkgs["vn-gov-font-times"]
    assert font.version == "1.2-3.el9" and font.arch == "noarch" and font.source == "rpm"
    assert font.publisher == "So TTTT Ha Noi" and font.license == "OFL-1.1"
    assert font.section == "User Interface/X"
    assert font.install_date.tzinfo is not None and font.install_date > datetime(
        2020, 1, 1, tzinfo=timezone.utc)
    ssl = pkgs["openssl-libs-demo"]
    assert ssl.version == "1:3.0.7-25.el9_3" and ssl.publisher is None
    assert ssl.section is None  # rpm's "Unspecified" group says nothing


def test_gpg_keys_and_short_lines_skipped():
    text = "gpg-pubkey\t(none)\tfd431d51\t4ae0493b\t(none)\t(none)\t1\t(none)\tpubkey\nbad\n"
    assert software_rpm.parse_query(text) == []
