"""Sanity of a real report from this machine: types and ranges, never exact values."""

from agent.report import collect
from agent.schema import decode_report, encode


def test_this_machine():
    r = collect()
    assert decode_report(encode(r)) == r  # valid against its own schema
    assert r.os.family in ("linux", "windows", "darwin", "other") and r.os.name
    assert r.hardware.cpu.threads and r.hardware.cpu.threads >= 1
    assert r.hardware.memory and r.hardware.memory.total_bytes > 64 * 1024 * 1024
    assert r.network.interfaces and all(i.name for i in r.network.interfaces)
    assert all(p.name and p.source for p in r.software.packages)
    assert r.host.role in ("workstation", "server")
    if r.os.family == "linux":
        assert r.security.accounts is not None and "root" in r.security.accounts.uid0
        assert r.security.antivirus is not None and r.security.ssh is not None
        assert r.security.screen_lock is not None
    for err in r.errors:
        assert err.collector and err.message
