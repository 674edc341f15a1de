"""/proc/cpuinfo parsing against this machine's captured file."""

from agent.collectors.linux import hardware_cpuinfo
from tests.agent.helpers import fixture_text


def test_model_vendor_sockets():
    info = hardware_cpuinfo.parse_cpuinfo(fixture_text("linux", "cpuinfo", "vm-2core.txt"))
    assert info["model"] and "  " not in info["model"]
    assert info["vendor"] in ("GenuineIntel", "AuthenticAMD")
    assert info["sockets"] == 1


def test_empty_text_gives_nothing():
    assert hardware_cpuinfo.parse_cpuinfo("") == {"model": None, "vendor": None, "sockets": None}
