#!/usr/bin/env python3
"""Benchmark: re-evaluate every shipped pack over 20,000 hosts stored in the database.

Stores N hosts (sections from the compliance fixtures, varied; ~120 installed packages each)
in a fresh SQLite database (or --url, e.g. a PostgreSQL database to be created empty), then
times ``service.run_job`` over all of them twice: the first run writes every result, the
second re-evaluates them as after a pack change (only what changed is written, with the
evaluation time).
Prints stored hosts re-evaluated per second (database reads and writes included) and, per run,
a ratio line against the 5,000 host evaluations per CPU-second target.

    .venv/bin/python bench/compliance_db.py [--hosts 20000] [--url URL]
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from inventory_server.compliance import service  # noqa: E402
from inventory_server.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from inventory_server.migrate import upgrade  # noqa: E402
from inventory_server.models import (  # noqa: E402
    ComplianceJob,
    ComplianceResult,
    Host,
    HostSection,
    HostSoftware,
    OrgUnit,
    SoftwarePackage,
    SoftwareTitle,
)
from inventory_server.models.software import package_key  # noqa: E402

TARGET = 5000.0
FIXTURES = ROOT / "tests" / "fixtures" / "compliance"


def populate(sessions, n: int, rng: random.Random) -> None:
    """Store units, software titles and ``n`` varied hosts with their sections and installs."""
    bases = [json.loads(p.read_text("utf-8")) for p in sorted((FIXTURES / "base").glob("*.json"))]
    now = utcnow()
    with sessions() as db:
        root = OrgUnit(code="TINH", name="Tỉnh", path="/")
        db.add(root)
        db.flush()
        root.path = f"/{root.id}/"
        leaves = []
        for d in range(12):
            dept = OrgUnit(code=f"SO-{d}", name=f"Sở {d}", parent_id=root.id)
            db.add(dept)
            db.flush()
            dept.path = f"{root.path}{dept.id}/"
            for o in range(8):
                office = OrgUnit(code=f"SO-{d}-P{o}", name=f"Phòng {o}", parent_id=dept.id)
                db.add(office)
                db.flush()
                office.path = f"{dept.path}{office.id}/"
                leaves.append(office.id)
        names = [f"pkg-{i:04d}" for i in range(3000)] + ["ibus-unikey", "libreoffice-writer"]
        db.execute(
            insert(SoftwareTitle),
            [
                {"name_key": k, "name": k, "licence_class": "unknown", "created_at": now}
                for k in names
            ],
        )
        title_ids = dict(db.execute(select(SoftwareTitle.name_key, SoftwareTitle.id)).all())
        # One package version (1.0, amd64, deb) per title.
        db.execute(
            insert(SoftwarePackage),
            [
                {
                    "key": package_key(t, "1.0", "amd64", "deb", None, None, None),
                    "title_id": t,
                    "version": "1.0",
                    "arch": "amd64",
                    "source": "deb",
                }
                for t in title_ids.values()
            ],
        )
        pool = list(db.scalars(select(SoftwarePackage.id)))
        db.commit()
        for start in range(0, n, 1000):
            count = min(1000, n - start)
            hosts = []
            for i in range(start, start + count):
                base = bases[i % len(bases)]
                hosts.append(
                    {
                        "hostname": f"host-{i:05d}",
                        "unit_id": rng.choice(leaves),
                        "role": base["host"]["role"],
                        "os_family": base["sections"]["os"]["family"],
                        "status": "active",
                        "source": "agent",
                        "first_seen": now,
                        "software_count": 120,
                        "report_count": 1,
                    }
                )
            ids = list(
                db.scalars(insert(Host).returning(Host.id, sort_by_parameter_order=True), hosts)
            )
            sections, installs = [], []
            for i, host_id in zip(range(start, start + count), ids, strict=True):
                base = bases[i % len(bases)]["sections"]
                security = json.loads(json.dumps(base["security"]))
                av = security.get("antivirus") or {}
                if av.get("installed"):
                    av["signature_age_days"] = round(rng.expovariate(0.6), 2)
                if rng.random() < 0.1:
                    security["firewall"]["enabled"] = False
                for name, data in (
                    ("os", base["os"]),
                    ("security", security),
                    ("software", {"count": 120, "licenses": []}),
                ):
                    sections.append(
                        {
                            "host_id": host_id,
                            "section": name,
                            "digest": "0" * 64,
                            "data": data,
                            "updated_at": now,
                        }
                    )
                chosen = sorted(rng.sample(pool, 120))
                installs.append(
                    {
                        "host_id": host_id,
                        "package_ids": chosen,
                        "install_dates": [None] * len(chosen),
                        "updated_at": now,
                    }
                )
            db.execute(insert(HostSection), sections)
            db.execute(insert(HostSoftware), installs)
            db.commit()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=20000)
    ap.add_argument("--url", help="an empty database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{tmp.name}/bench.db"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    rng = random.Random(7)
    t0 = time.perf_counter()
    populate(sessions, args.hosts, rng)
    print(f"stored {args.hosts} hosts in {time.perf_counter() - t0:.1f}s ({engine.dialect.name})")
    pack_set = service.packs_in_force()
    for label in ("first run (insert results)", "second run (re-evaluate, results stored)"):
        with sessions() as db:
            job_id = service.create_job(db, label).id
        t0, c0 = time.perf_counter(), time.process_time()
        # as after a pack change: evidence of unchanged results is not re-read
        service.run_job(sessions, job_id, pack_set, refresh_evidence=False)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        with sessions() as db:
            job = db.get(ComplianceJob, job_id)
            if job.status != "done" or job.done != args.hosts:
                print(f"error: {label}: the job ended {job.status} ({job.done}/{job.total})")
                return 1
        rate, cpu_rate = args.hosts / elapsed, args.hosts / cpu
        print(
            f"{label}: {args.hosts} hosts in {elapsed:.1f}s = {rate:,.0f} hosts/s wall-clock, "
            f"{cpu_rate:,.0f} per CPU-second of this process (database included; "
            f"load average {os.getloadavg()[0]:.1f})"
        )
        verdict = "meets" if cpu_rate >= TARGET else "below"
        print(
            f"  ratio {label}: {cpu_rate:,.0f} / {TARGET:,.0f} host evaluations per CPU-second "
            f"= {cpu_rate / TARGET:.2f}x ({verdict} the target)"
        )
    with sessions() as db:
        rows = db.scalar(select(func.count()).select_from(ComplianceResult))
        fails = db.scalar(
            select(func.count())
            .select_from(ComplianceResult)
            .where(ComplianceResult.status == "fail")
        )
    print(f"results stored: {rows} ({fails} fail)")
    engine.dispose()
    tmp.cleanup()
    return 0 if rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
