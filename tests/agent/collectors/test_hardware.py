"""psutil hardware collector: used space rounding keeps digests quiet."""

from agent.collectors import hardware

GIB = 1024**3


def test_round_used():
    assert hardware.round_used(123 * GIB + 5, 500 * GIB) == 120 * GIB  # 5 GiB steps
    assert hardware.round_used(100 * 1024**2, 1 * GIB) == 64 * 1024**2  # 64 MiB minimum step
    assert hardware.round_used(0, 0) == 0


def test_collect_types():
    hw = hardware.collect(None)
    assert hw.memory.total_bytes > 0 and hw.cpu.threads >= 1
    assert all(fs.mountpoint for fs in hw.filesystems)


def test_processor_model_left_to_cpuinfo_on_linux(monkeypatch):
    import platform
    import sys

    calls = []
    monkeypatch.setattr(platform, "processor", lambda: calls.append(1) or "x86_64")
    model = hardware.collect(None).cpu.model
    if sys.platform.startswith("linux"):  # no ``uname -p``: linux/hardware_cpuinfo has it
        assert model is None and not calls
    else:
        assert model == "x86_64"
