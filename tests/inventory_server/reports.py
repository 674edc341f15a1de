"""Build realistic reports for server tests from the real wire schema."""

import datetime as dt
import gzip
import json

import msgspec

from agent.report import digests
from agent.schema import (
    CPU,
    SCHEMA_VERSION,
    AgentInfo,
    Antivirus,
    Disk,
    Firewall,
    Hardware,
    HostIdentity,
    Interface,
    Memory,
    Network,
    OSInfo,
    Package,
    Report,
    Security,
    Software,
    SystemInfo,
    encode,
)


def make_report(
    hostname: str = "pc-01",
    *,
    machine_id: str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    packages: int = 50,
    extra_packages=(),
    serial: str = "SN-0001",
    memory: int = 8 * 1024**3,
    ip: str = "10.10.1.21",
    mac: str = "52:54:00:12:34:56",
    av_running: bool = True,
) -> Report:
    """Return a full report of a Debian workstation with ``packages`` packages."""
    pkgs = [
        Package(name=f"pkg-{i:04d}", version=f"1.{i}.0-1", arch="amd64", source="deb",
                section="utils", publisher="Debian")
        for i in range(packages)
    ]
    pkgs += [Package(name=n, version=v, arch="amd64", source="deb") for n, v in extra_packages]
    r = Report(
        schema_version=SCHEMA_VERSION,
        kind="full",
        agent=AgentInfo(version="0.1.0", platform="linux"),
        host=HostIdentity(hostname=hostname, machine_id=machine_id, serial=serial,
                          mac_addresses=[mac], role="workstation"),
        collected_at=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC),
        os=OSInfo(family="linux", name="Debian GNU/Linux 12 (bookworm)", version="12",
                  distribution_id="debian", arch="x86_64"),
        hardware=Hardware(
            system=SystemInfo(vendor="Dell Inc.", model="OptiPlex 7090", serial=serial,
                              chassis_type="desktop"),
            cpu=CPU(model="Intel(R) Core(TM) i5-10500", cores=6, threads=12),
            memory=Memory(total_bytes=memory),
            disks=[Disk(name="sda", model="Samsung SSD 870", serial="S6P", size_bytes=500 * 10**9)],
        ),
        network=Network(interfaces=[
            Interface(name="lo", ipv4=["127.0.0.1/8"], virtual=True),
            Interface(name="eno1", mac=mac, ipv4=[f"{ip}/24"], up=True, virtual=False),
        ]),
        software=Software(packages=pkgs),
        security=Security(antivirus=Antivirus(installed=True, running=av_running, realtime=True,
                                              product="ClamAV", signature_age_days=0.5),
                          firewall=Firewall(enabled=True, backend="nftables")),
    )
    r.digests = digests(r)
    return r


def body(report: Report, *, compress: bool = False) -> bytes:
    """Encode a report as JSON (optionally gzip)."""
    raw = encode(report)
    return gzip.compress(raw) if compress else raw


def as_dict(report: Report) -> dict:
    """Return a report as plain JSON data (to corrupt it in tests)."""
    return json.loads(encode(report))


def to_builtins(obj):
    """Return a schema object as builtins."""
    return msgspec.to_builtins(obj)
