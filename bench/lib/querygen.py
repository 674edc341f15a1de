"""Generate a province: org units, hosts and ~1,500 installed packages per host, loaded with COPY.

Titles are 8,000 real Debian package names, installed with a Zipf-like popularity (the most
common are on nearly every host, the rarest on a handful). Each host's software is one
row of package ids (``host_software``), loaded without its indexes and foreign keys, which are
recreated afterwards with the same definitions. Every host has a result for each check of the
built-in packs that apply to workstations, as after its first report.
"""

import datetime as dt
import json
import multiprocessing as mp
import random
import signal

import psycopg

from bench.lib.packages import older, pool
from inventory_server.models.software import package_key

OS_MIX = (
    ("windows", "Windows 10 Pro", "10.0.19045", 0.38),
    ("windows", "Windows 11 Pro", "10.0.22631", 0.22),
    ("linux", "Debian GNU/Linux 12 (bookworm)", "12", 0.22),
    ("linux", "Ubuntu 22.04.4 LTS", "22.04", 0.12),
    ("linux", "Debian GNU/Linux 11 (bullseye)", "11", 0.06),
)
DEPARTMENTS = 24
DISTRICTS = 9
OFFICES = 5
LIBREOFFICE = "libreoffice-core"
LIBREOFFICE_VERSIONS = (  # real Debian versions: bullseye, bookworm, bookworm-backports
    ("1:7.0.4-4+deb11u10", 0.3),
    ("4:7.4.7-1+deb12u6", 0.5),
    ("4:24.8.4-1~bpo12+1", 0.2),
)


def popularity(n_titles: int, per_host: int, s: float = 0.9) -> list[float]:
    """Return the install probability of each title rank, Zipf-like, summing to ``per_host``."""
    w = [1.0 / (r + 1) ** s for r in range(n_titles)]
    lo, hi = 0.0, 1e7
    for _ in range(100):
        c = (lo + hi) / 2
        if sum(min(1.0, c * x) for x in w) > per_host:
            hi = c
        else:
            lo = c
    return [min(1.0, lo * x) for x in w]


def units(db_url_sqla: str) -> list[tuple[int, str]]:
    """Create the unit tree under the root unit; return (id, code) of every unit."""
    from inventory_server.db import make_engine, make_sessionmaker
    from inventory_server.units.services import create_unit, root_unit

    engine = make_engine(db_url_sqla)
    out = []
    with make_sessionmaker(engine)() as db:
        root = root_unit(db)
        out.append((root.id, root.code))
        for d in range(DEPARTMENTS + DISTRICTS):
            code = f"SO-{d + 1:02d}" if d < DEPARTMENTS else f"HUYEN-{d - DEPARTMENTS + 1:02d}"
            name = f"Sở {d + 1}" if d < DEPARTMENTS else f"UBND huyện {d - DEPARTMENTS + 1}"
            u = create_unit(db, code=code, name=name, parent_code=root.code)
            out.append((u.id, u.code))
            for o in range(OFFICES):
                c = create_unit(
                    db, code=f"{code}-P{o + 1}", name=f"Phòng {o + 1}", parent_code=code
                )
                out.append((c.id, c.code))
        db.commit()
    engine.dispose()
    return out


def _titles(n_titles: int, seed: int) -> list:
    rng = random.Random(seed)
    names = sorted(pool())
    rng.shuffle(names)
    chosen = [n for n in names if n != LIBREOFFICE][: n_titles - 1]
    # LibreOffice is common in agencies: rank 40 (on most hosts).
    chosen.insert(40, LIBREOFFICE)
    return [pool()[n] for n in chosen]


def _catalogue(n_titles: int, seed: int) -> tuple[list, dict[int, tuple], list]:
    """Return (titles, {title id: (current package id, older package id)}, package rows).

    Every title has its current Debian version and one earlier revision; LibreOffice has its
    three real versions instead.
    """
    rng = random.Random(seed * 31 + 7)
    titles = _titles(n_titles, seed)
    lo_tid = titles.index(pool()[LIBREOFFICE]) + 1
    ids: dict[int, tuple] = {}
    rows = []
    for tid, t in enumerate(titles, start=1):
        versions = (
            [v for v, _ in LIBREOFFICE_VERSIONS]
            if tid == lo_tid
            else [t.version, older(t.version, rng)]
        )
        section = "editors" if tid == lo_tid else t.section
        arch = "amd64" if tid == lo_tid else t.arch
        mine = []
        for v in dict.fromkeys(versions):
            pid = len(rows) + 1
            key = package_key(tid, v, arch, "deb", section, "Debian", "machine")
            rows.append((pid, key, tid, v, arch, "deb", section, "Debian", "machine"))
            mine.append(pid)
        ids[tid] = tuple(mine)
    return titles, ids, rows


def _install_rows(args) -> int:
    conninfo, first, last, seed, n_titles, per_host = args
    rng = random.Random(seed * 7919 + first)
    titles, ids, _rows = _catalogue(n_titles, seed)
    prob = popularity(n_titles, per_host)
    # Titles in bands of equal probability; each host draws a binomial-ish count per band.
    bands: list[tuple[float, list[int]]] = []
    for tid, p in enumerate(prob, start=1):
        if bands and abs(bands[-1][0] - p) < 0.01 * max(p, 1e-9) + 1e-4:
            bands[-1][1].append(tid)
        else:
            bands.append((p, [tid]))
    lo_tid = titles.index(pool()[LIBREOFFICE]) + 1
    lo_weights = [w for _, w in LIBREOFFICE_VERSIONS]
    ts = "2026-11-01T08:00:00+00:00"
    total = 0
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cols = "host_id, package_ids, install_dates, updated_at"
        with cur.copy(f"COPY host_software ({cols}) FROM STDIN") as copy:
            buf = []
            for hid in range(first, last):
                mine = []
                for p, tids in bands:
                    k = len(tids) if p >= 1.0 else _binomial(rng, len(tids), p)
                    for tid in tids if k == len(tids) else rng.sample(tids, k):
                        if tid == lo_tid:
                            mine.append(rng.choices(ids[tid], lo_weights)[0])
                        else:
                            pick = ids[tid]  # an earlier revision on one host in ten
                            mine.append(pick[rng.random() < 0.1] if len(pick) > 1 else pick[0])
                mine.sort()
                total += len(mine)
                nulls = ",".join(["NULL"] * len(mine))
                buf.append(f"{hid}\t{{{','.join(map(str, mine))}}}\t{{{nulls}}}\t{ts}\n")
                if len(buf) > 200:
                    copy.write("".join(buf))
                    buf = []
            copy.write("".join(buf))
        conn.commit()
    return total


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n < 30:
        return sum(rng.random() < p for _ in range(n))
    mean, sd = n * p, (n * p * (1 - p)) ** 0.5
    return max(0, min(n, round(rng.gauss(mean, sd))))


# Share of hosts failing a check, by severity: most pass; a critical check fails on about one
# host in seven (antivirus stopped or out of date), others less often.
FAIL_SHARE = {"critical": 0.15, "high": 0.08, "medium": 0.05, "low": 0.03}


def compliance_results(cur, seed: int = 1) -> int:
    """Store a result per host and check of the built-in workstation packs; return the count.

    Statuses are drawn per result (``FAIL_SHARE`` by severity, 3 % not applicable, 0.5 % error)
    by PostgreSQL itself, seeded, as ``compliance_results`` rows with their history's first
    failures in ``compliance_changes``. Each host's counts (on its ``hosts`` row) are taken by
    the compliance service afterwards (``load``).
    """
    from inventory_server.compliance import loader

    checks = []
    for pack in loader.load_directory(loader.PACKS_DIR).packs.values():
        roles = pack.applies_to.get("role")
        if roles and "workstation" not in roles:
            continue
        for check in pack.checks:
            checks.append((pack.id, check.id, check.severity, pack.version))
    cur.execute("SELECT setseed(%s)", ((seed % 1000) / 1000,))
    values = ", ".join(["(%s, %s, %s, %s::integer, %s::float8)"] * len(checks))
    params = [x for c in checks for x in (*c, FAIL_SHARE.get(c[2], 0.05))]
    cur.execute(
        "INSERT INTO compliance_results (host_id, pack_id, check_id, status, severity, evidence, "  # noqa: S608 - values are parameters
        "pack_version, since, evaluated_at) "
        "SELECT id, pack_id, check_id, CASE WHEN x < fail THEN 'fail' "
        "WHEN x < fail + 0.03 THEN 'not_applicable' WHEN x < fail + 0.035 THEN 'error' "
        "ELSE 'pass' END, severity, '[]', version, first_seen, last_seen FROM ("
        "SELECT h.id, h.first_seen, h.last_seen, c.*, random() AS x FROM hosts h "
        f"CROSS JOIN (VALUES {values}) AS c(pack_id, check_id, severity, version, fail)) AS s",
        params,
    )
    n = cur.rowcount
    cur.execute(
        "INSERT INTO compliance_changes (host_id, pack_id, check_id, at, before, after, evidence) "
        "SELECT host_id, pack_id, check_id, since, NULL, status, evidence "
        "FROM compliance_results WHERE status IN ('fail', 'error')"
    )
    return n


def _count_results(db_url_sqla: str) -> None:
    """Each host's result counts by status, taken as the compliance service takes them."""
    from inventory_server.compliance import service
    from inventory_server.db import make_engine, make_sessionmaker

    engine = make_engine(db_url_sqla)
    with make_sessionmaker(engine)() as db:
        service.recount_all(db)
    engine.dispose()


def load(
    conninfo: str,
    db_url_sqla: str,
    *,
    hosts: int,
    per_host: int = 1500,
    n_titles: int = 8000,
    seed: int = 1,
    say=print,
) -> dict:
    """Fill the database; return what was created (units, title names, LibreOffice title)."""
    unit_rows = units(db_url_sqla)
    leaves = [u for u in unit_rows if u[1].count("-") == 2]
    rng = random.Random(seed)
    titles, _ids, package_rows = _catalogue(n_titles, seed)
    now = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY software_titles (id, name_key, name, publisher, licence_class, created_at)"
            " FROM STDIN"
        ) as copy:
            for tid, t in enumerate(titles, start=1):
                copy.write_row((tid, t.name.lower(), t.name, t.maintainer, "open_source", now))
        cur.execute("SELECT setval('software_titles_id_seq', %s)", (len(titles),))
        with cur.copy(
            "COPY software_packages (id, key, title_id, version, arch, source, section, origin,"
            " scope) FROM STDIN"
        ) as copy:
            for row in package_rows:
                copy.write_row(row)
        cur.execute("SELECT setval('software_packages_id_seq', %s)", (len(package_rows),))
        cols = (
            "id, hostname, fqdn, unit_id, role, status, source, machine_id, serial, vendor, "
            "model, os_family, os_name, os_version, arch, memory_bytes, software_count, "
            "agent_version, first_seen, last_seen, last_full_at, report_count, av_state"
        )
        # Antivirus running on about 85 % of hosts: in each host's security section, and in the
        # state ingest keeps on the host row.
        av_rng = random.Random(seed * 104_729 + 11)
        running = [av_rng.random() < 0.85 for _ in range(hosts + 1)]
        with cur.copy(f"COPY hosts ({cols}) FROM STDIN") as copy:
            for hid in range(1, hosts + 1):
                family, name, version, _ = rng.choices(OS_MIX, [o[3] for o in OS_MIX])[0]
                unit_id = rng.choice(leaves)[0]
                seen = now - dt.timedelta(hours=rng.expovariate(1 / 30))
                copy.write_row(
                    (
                        hid,
                        f"pc-{hid:06d}",
                        f"pc-{hid:06d}.tinh.gov.vn",
                        unit_id,
                        "workstation",
                        "active",
                        "agent",
                        f"{rng.getrandbits(128):032x}",
                        f"SN{rng.getrandbits(40):010X}",
                        "Dell Inc.",
                        "OptiPlex 7090",
                        family,
                        name,
                        version,
                        "x86_64",
                        8 * 1024**3,
                        per_host,
                        "0.1.0",
                        now - dt.timedelta(days=90),
                        seen,
                        seen,
                        100,
                        "protected" if running[hid] else "not_running",
                    )
                )
        cur.execute("SELECT setval('hosts_id_seq', %s)", (hosts,))
        with cur.copy(
            "COPY host_sections (host_id, section, digest, data, updated_at) FROM STDIN"
        ) as copy:
            for hid in range(1, hosts + 1):
                data = json.dumps(
                    {
                        "antivirus": {
                            "installed": True,
                            "running": running[hid],
                            "realtime": True,
                            "product": "ClamAV",
                            "signature_age_days": 0.5,
                        }
                    }
                )
                copy.write_row((hid, "security", "0" * 64, data, now))
        # Load installs without indexes and foreign keys; recreate them afterwards.
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'host_software'::regclass"
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'host_software' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'host_software'::regclass)"
        )
        indexes = cur.fetchall()
        for name, _ in constraints:
            cur.execute(f'ALTER TABLE host_software DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        results = compliance_results(cur, seed)
    _count_results(db_url_sqla)
    say(
        f"  {len(unit_rows)} units, {hosts} hosts, {len(titles)} titles, {results} compliance "
        "results; loading installs..."
    )
    workers = 2
    step = (hosts + workers - 1) // workers
    jobs = [
        (conninfo, 1 + i * step, min(hosts, (i + 1) * step) + 1, seed, n_titles, per_host)
        for i in range(workers)
    ]
    # Default SIGTERM in the workers: bench/query's handler would keep terminate() waiting.
    with mp.get_context("fork").Pool(workers, signal.signal, (signal.SIGTERM, signal.SIG_DFL)) as p:
        installs = sum(p.map(_install_rows, jobs))
    say(f"  {installs} installs loaded; rebuilding indexes and foreign keys...")
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in constraints:
            cur.execute(f'ALTER TABLE host_software ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            cur.execute(definition)
        # Counting the results rewrote every host row once: leave the table as autovacuum would.
        cur.execute("VACUUM hosts")
        cur.execute("ANALYZE")
    return {
        "units": unit_rows,
        "titles": [t.name for t in titles],
        "installs": installs,
        "libreoffice": LIBREOFFICE,
    }
