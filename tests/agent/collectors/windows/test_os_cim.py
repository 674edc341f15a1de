"""Windows OS identity from Win32_OperatingSystem."""

from agent.collectors.windows import os_cim
from agent.report import guess_role
from agent.schema import Report
from tests.agent.helpers import fixture_text


def test_windows_11_in_vietnamese():
    o = os_cim.parse_operatingsystem(fixture_text("windows", "os", "win11-pro-vi.json"))
    assert o.name == "Windows 11 Pro" and o.version == "10.0.22631"
    assert o.kernel == "22631.2861" and o.codename == "23H2" and o.edition == "Professional"
    assert o.locale == "vi_VN" and o.arch == "64-bit" and o.boot_time.year == 2024


def test_server_role_follows_the_caption():
    o = os_cim.parse_operatingsystem(fixture_text("windows", "os", "server2019.json"))
    r = Report(schema_version=1, agent={"version": "1", "platform": "win32"},
               host={"hostname": "srv"}, collected_at="2024-01-01T00:00:00Z", os=o)
    assert guess_role(r) == "server"


def test_no_answer():
    assert os_cim.parse_operatingsystem("") is None
