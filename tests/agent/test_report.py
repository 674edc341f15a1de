"""Report assembly: merging collector results, antivirus summary, errors, deltas."""

import json
import types

from agent import collectors, report
from agent.collectors.context import Context
from agent.schema import (
    Antivirus,
    AntivirusProduct,
    Firewall,
    Hardware,
    Memory,
    MemoryModule,
    decode_report,
    encode,
)


def test_merge_structs_lists_and_scalars():
    a = Hardware(memory=Memory(total_bytes=8, swap_bytes=1))
    b = Hardware(memory=Memory(total_bytes=8, modules=[MemoryModule(slot="A1")]))
    merged = report.merge(a, b)
    assert merged.memory.swap_bytes == 1 and merged.memory.modules[0].slot == "A1"
    fw = report.merge(Firewall(enabled=False, backend="iptables"), Firewall(backend="ufw"))
    assert fw.backend == "ufw" and fw.enabled is False


def test_antivirus_summary_prefers_running_realtime_fresh_and_merges_duplicates():
    av = Antivirus(products=[
        AntivirusProduct(name="Windows Defender", running=False, source="securitycenter"),
        AntivirusProduct(name="Microsoft Defender", signature_age_days=0.5, source="defender"),
        AntivirusProduct(name="ClamAV", running=True, realtime=False, signature_age_days=0.2),
        AntivirusProduct(name="Kaspersky", running=True, realtime=True, signature_age_days=3.0),
    ])
    out = report.summarise_antivirus(av)
    assert out.installed is True and out.product == "Kaspersky"
    assert out.running is True and out.realtime is True and out.signature_age_days == 3.0
    assert len(out.products) == 3  # the two Defender records became one
    empty = report.summarise_antivirus(Antivirus())
    assert empty.installed is False and empty.running is False and empty.product is None


def _fake(name, category, enabled=True, value=None, error=None):
    def collect(ctx):
        if error:
            raise error
        return value

    mod = types.ModuleType(f"agent.collectors.linux.{name}")
    mod.CATEGORY = category
    mod.is_enabled = lambda ctx: enabled
    mod.collect = collect
    return mod


def test_failing_collector_goes_to_errors_and_the_report_is_built(monkeypatch):
    mods = [
        _fake("antivirus_broken", "security.antivirus.products", error=OSError("disk on fire")),
        _fake("firewall_fake", "security.firewall", value=Firewall(enabled=True)),
        _fake("office_absent", "security.office", enabled=False),
        _fake("ssh_broken", "security.ssh", error=RuntimeError("boom")),
    ]
    monkeypatch.setattr(collectors, "load", lambda platform: mods)
    r = report.collect(Context())
    assert [(e.collector, e.section) for e in r.errors] == [
        ("antivirus_broken", "security"), ("ssh_broken", "security")]
    assert "disk on fire" in r.errors[0].message
    assert r.security.firewall.enabled is True
    assert r.security.antivirus is None  # not collected: the server keeps what it had
    assert r.security.ssh is None
    assert r.security.office is not None and r.security.office.installed is False  # absent
    assert set(r.digests) == {"os", "hardware", "network", "software", "security"}
    assert decode_report(encode(r)).errors[1].message == "RuntimeError: boom"


def test_failed_antivirus_collector_is_unknown_not_absent(monkeypatch):
    mods = [
        _fake("antivirus_clamav", "security.antivirus.products", error=OSError("unreadable")),
        _fake("antivirus_process", "security.antivirus.products", value=[]),
    ]
    monkeypatch.setattr(collectors, "load", lambda platform: mods)
    r = report.collect(Context())
    assert r.security.antivirus is None  # not "installed: false": ClamAV may well be there
    mods[1] = _fake("antivirus_process", "security.antivirus.products",
                    value=[AntivirusProduct(name="Kaspersky", running=True)])
    r = report.collect(Context())
    assert r.security.antivirus.installed is True and r.security.antivirus.product == "Kaspersky"


def test_delta_of_unchanged_report_is_small():
    full = report.collect()
    delta = report.make_delta(full, dict(full.digests))
    body = json.loads(encode(delta))
    assert body["kind"] == "delta"
    assert all(body[s] is None for s in ("os", "hardware", "network", "software", "security"))
    assert len(encode(delta)) < 2048


def test_with_sections_fills_from_full():
    full = report.collect()
    delta = report.make_delta(full, dict(full.digests))
    again = report.with_sections(delta, full, ["software", "nonsense"])
    assert again.software == full.software and again.hardware is None


def test_two_runs_on_an_unchanged_machine_have_equal_digests():
    a, b = report.collect(), report.collect()
    for section in ("os", "hardware", "software"):
        assert a.digests[section] == b.digests[section], section
