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


def test_collect_model_from_cpuinfo_else_from_python(make_tree, monkeypatch):
    import platform

    from agent.collectors.context import Context

    monkeypatch.setattr(platform, "processor", lambda: "aarch64")
    root = make_tree({"proc/cpuinfo": fixture_text("linux", "cpuinfo", "vm-2core.txt")})
    cpu = hardware_cpuinfo.collect(Context(root=root))
    assert cpu.model and cpu.model != "aarch64" and cpu.threads >= 1
    root = make_tree({"proc/cpuinfo": "processor\t: 0\nBogoMIPS\t: 48.00\n"})
    assert hardware_cpuinfo.collect(Context(root=root)).model == "aarch64"
    monkeypatch.setattr(platform, "processor", lambda: "")  # uname -p said "unknown"
    assert hardware_cpuinfo.collect(Context(root=root)).model is None
