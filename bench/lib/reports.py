"""Simulated agents' reports: real package lists on varied, plausible agency machines."""

import datetime as dt
import gzip
import random

from agent.report import digests, make_delta
from agent.schema import (
    CPU,
    SCHEMA_VERSION,
    AgentInfo,
    Antivirus,
    Disk,
    EnrollRequest,
    Firewall,
    Hardware,
    HostIdentity,
    Interface,
    Memory,
    MemoryModule,
    Network,
    OSInfo,
    Package,
    Report,
    Security,
    Software,
    SystemInfo,
    Updates,
    encode,
)
from bench.lib.packages import host_packages

MACHINES = (
    ("Dell Inc.", "OptiPlex 7090", "Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz", 6, 12),
    ("Dell Inc.", "Vostro 3681", "Intel(R) Core(TM) i3-10100 CPU @ 3.60GHz", 4, 8),
    ("HP", "HP ProDesk 400 G7 Microtower PC", "Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz", 6, 12),
    ("LENOVO", "ThinkCentre M70s", "Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz", 8, 16),
    ("ASUSTeK COMPUTER INC.", "ExpertCenter D500MA", "Intel(R) Core(TM) i3-10105 CPU", 4, 8),
    ("Dell Inc.", "PowerEdge R740", "Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz", 20, 40),
)
DISKS = (
    ("Samsung SSD 870 EVO 500GB", 500107862016, False),
    ("KINGSTON SA400S37240G", 240057409536, False),
    ("WDC WD10EZEX-08WN4A0", 1000204886016, True),
    ("TOSHIBA DT01ACA100", 1000204886016, True),
)


def build_report(i: int, seed: int = 1) -> Report:
    """Return the full report of simulated host ``i`` (deterministic for a given seed)."""
    rng = random.Random(seed * 1_000_003 + i)
    vendor, model, cpu, cores, threads = rng.choice(MACHINES)
    serial = f"{vendor[:2].upper()}{rng.getrandbits(40):010X}"
    mac = f"52:54:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
    ip = f"10.{20 + i // 65000}.{i // 250 % 250}.{i % 250 + 2}"
    ram = rng.choice((4, 8, 8, 16, 32)) * 1024**3
    disk_model, disk_size, rotational = rng.choice(DISKS)
    pkgs = host_packages(rng)
    installed = dt.datetime(2023, 6, 10, 8, 0, tzinfo=dt.UTC)
    installed += dt.timedelta(days=rng.randint(0, 700))
    report = Report(
        schema_version=SCHEMA_VERSION,
        kind="full",
        agent=AgentInfo(version="0.1.0", platform="linux", python="3.11.2"),
        host=HostIdentity(
            hostname=f"pc-{i:06d}",
            fqdn=f"pc-{i:06d}.so-tttt.tinh.gov.vn",
            machine_id=f"{rng.getrandbits(128):032x}",
            dmi_uuid=f"{rng.getrandbits(128):032x}",
            serial=serial,
            mac_addresses=[mac],
            role="server" if "PowerEdge" in model else "workstation",
        ),
        collected_at=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC),
        os=OSInfo(
            family="linux",
            name="Debian GNU/Linux 12 (bookworm)",
            version="12",
            distribution_id="debian",
            codename="bookworm",
            kernel=rng.choice(("6.1.0-26-amd64", "6.1.0-28-amd64", "6.1.0-31-amd64")),
            arch="x86_64",
            timezone="Asia/Ho_Chi_Minh",
            locale="vi_VN.UTF-8",
        ),
        hardware=Hardware(
            system=SystemInfo(vendor=vendor, model=model, serial=serial, chassis_type="desktop"),
            cpu=CPU(model=cpu, vendor="GenuineIntel", sockets=1, cores=cores, threads=threads),
            memory=Memory(
                total_bytes=ram - 300 * 1024**2,
                modules=[MemoryModule(slot="DIMM1", size_bytes=ram, type="DDR4", speed_mts=2666)],
            ),
            disks=[
                Disk(
                    name="sda",
                    model=disk_model,
                    serial=f"S{rng.getrandbits(36):09X}",
                    size_bytes=disk_size,
                    rotational=rotational,
                    transport="sata",
                    removable=False,
                )
            ],
        ),
        network=Network(
            interfaces=[
                Interface(name="lo", ipv4=["127.0.0.1/8"], ipv6=["::1/128"], up=True, virtual=True),
                Interface(
                    name="eno1", mac=mac, ipv4=[f"{ip}/16"], up=True, speed_mbps=1000, virtual=False
                ),
            ],
            default_gateway="10.20.0.1",
            dns_servers=["10.20.0.10"],
            domain="tinh.gov.vn",
        ),
        software=Software(
            packages=[
                Package(
                    name=p.name,
                    version=p.version,
                    arch=p.arch,
                    source="deb",
                    publisher=p.maintainer,
                    section=p.section,
                    origin="Debian",
                    install_date=installed,
                )
                for p in pkgs
            ]
        ),
        security=Security(
            antivirus=Antivirus(
                installed=True,
                running=True,
                realtime=rng.random() > 0.2,
                product="ClamAV",
                signature_age_days=round(rng.random() * 3, 2),
            ),
            firewall=Firewall(enabled=rng.random() > 0.3, backend="nftables"),
            updates=Updates(automatic=True, mechanism="unattended-upgrades"),
        ),
    )
    report.digests = digests(report)
    return report


def enroll_body(report: Report, secret: str) -> bytes:
    """Return the JSON body that enrolls the report's host."""
    return encode(EnrollRequest(secret=secret, host=report.host, agent=report.agent))


def bodies(i: int, seed: int = 1) -> tuple[bytes, bytes, bytes, int]:
    """Return (gzipped full report, gzipped unchanged delta, enroll identity, package count)."""
    report = build_report(i, seed)
    full = gzip.compress(encode(report), compresslevel=6)
    delta = gzip.compress(encode(make_delta(report, report.digests)), compresslevel=6)
    return full, delta, encode(report.host), len(report.software.packages)
