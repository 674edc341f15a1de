"""The query benchmark: a province on PostgreSQL, searched through the real HTTP API."""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from bench.lib import querygen, server

CEILING_MS = 100.0


def parse(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(
        prog="bench/query", description="Query benchmark: p50/p95 of searches and summaries."
    )
    p.add_argument("--hosts", type=int, default=20000, help="hosts (default 20000)")
    p.add_argument("--per-host", type=int, default=1500, help="installs per host (default 1500)")
    p.add_argument("--titles", type=int, default=8000, help="distinct titles (default 8000)")
    p.add_argument("--repeat", type=int, default=30, help="timed requests per query (default 30)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument("--pg-url", default=os.environ.get("KIEMKE_BENCH_PG_URL", server.DEFAULT_PG))
    p.add_argument("--reuse", metavar="DBNAME", help="use a database kept by an earlier --keep")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument(
        "--budget", type=float, default=60, help="seconds at most per query (default 60)"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", metavar="TEXT", help="run only the queries whose label contains TEXT")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = p.parse_args(argv)
    if args.hosts < 10 or args.per_host < 10 or args.repeat < 1:
        p.error("--hosts and --per-host must be at least 10, --repeat at least 1")
    if args.titles < args.per_host * 2:
        p.error("--titles must be at least twice --per-host")
    return args


def _conninfo(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {
        "dbname": u.database,
        "host": u.query.get("host") or u.host,
        "user": u.username,
        "password": u.password,
        "port": u.port,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _get(url: str, token: str) -> tuple[float, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310 - loopback URL built here
        data = r.read()
    elapsed = time.perf_counter() - t
    return elapsed * 1000, json.loads(data)


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _say(msg: str) -> None:
    print(msg, flush=True)


def main(argv=None) -> int:
    """Build (or reuse) the province, run each query, print p50/p95 and p95/ceiling ratios."""
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill as on Ctrl-C
    dbname = args.reuse or server.create_database(args.pg_url, "kiemke_bench_query")
    db_url = server.pg_url(args.pg_url, dbname)
    data_dir = tempfile.mkdtemp(prefix="kiemke-bench-query-")
    env = server.server_env(db_url, data_dir)
    srv = None
    try:
        t0 = time.monotonic()
        server.cli(env, "init", "--admin-password", "bench-admin-password-1")
        if not args.reuse:
            _say(f"building {args.hosts} hosts x {args.per_host} installs in {dbname}...")
            querygen.load(
                _conninfo(db_url),
                db_url,
                hosts=args.hosts,
                per_host=args.per_host,
                n_titles=args.titles,
                seed=args.seed,
                say=_say,
            )
            _say(f"  built in {time.monotonic() - t0:.0f} s")
        titles = [t.name for t in querygen._titles(args.titles, args.seed)]
        with psql(db_url) as cur:
            cur.execute("SELECT count(*) FROM summary_refreshes")
            refreshed = cur.fetchone()[0]
        if not args.reuse or not refreshed:
            # What an operator schedules (cron, systemd timer): the dashboard's snapshot.
            t = time.monotonic()
            server.cli(env, "dashboard", "refresh")
            took = time.monotonic() - t
            _say(f"dashboard snapshot (kiemke-server dashboard refresh): {took:.1f} s")
        token = server.last_line(server.cli(env, "token", "create", "--user", "admin"))
        srv = server.start(env, server.free_port(), args.workers)
        with psql(db_url) as cur:
            cur.execute("SELECT coalesce(sum(cardinality(package_ids)), 0) FROM host_software")
            installs = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM hosts")
            hosts = cur.fetchone()[0]
        _say(
            f"data: {hosts} hosts, {installs} installs, {len(titles)} titles (Zipf-like); "
            f"server: kiemke-server run --workers {args.workers}; one client, sequential requests"
        )
        depts = [f"SO-{i:02d}" for i in range(1, querygen.DEPARTMENTS + 1)]
        offices = [f"{d}-P{o}" for d in depts for o in range(1, querygen.OFFICES + 1)]
        n = len(titles)

        def cycle(values):
            return lambda i: values[i % len(values)]

        queries = [
            (
                "software search, common title (rank 1-20)",
                "/api/v1/hosts",
                lambda i: {"software": titles[i % 20], "per_page": 50},
            ),
            (
                "software search, mid title (rank ~500)",
                "/api/v1/hosts",
                lambda i: {"software": titles[min(n - 1, 500 + i)], "per_page": 50},
            ),
            (
                "software search, rare title (rank ~6000)",
                "/api/v1/hosts",
                lambda i: {"software": titles[min(n - 1, n * 3 // 4 + i)], "per_page": 50},
            ),
            (
                "LibreOffice older than 7.5",
                "/api/v1/hosts",
                lambda i: {
                    "software": querygen.LIBREOFFICE,
                    "version_lt": "7.5",
                    "per_page": 50,
                    "page": 1 + i % 3,
                },
            ),
            (
                "host list, department subtree, page 1-5",
                "/api/v1/hosts",
                lambda i: {"unit": depts[i % len(depts)], "page": 1 + i % 5, "per_page": 50},
            ),
            (
                "host list, office, sorted by last seen",
                "/api/v1/hosts",
                lambda i: {"unit": cycle(offices)(i * 7), "sort": "-last_seen", "per_page": 50},
            ),
            (
                "software catalogue, province, pages 1-3",
                "/api/v1/software",
                lambda i: {"per_page": 200, "offset": 200 * (i % 3)},
            ),
            ("per-unit summary, province (dashboard)", "/api/v1/dashboard", lambda i: {}),
            ("compliance per unit, province", "/api/v1/compliance/units", lambda i: {}),
            ("compliance per check, province", "/api/v1/compliance/checks", lambda i: {}),
            (
                "compliance per check, department",
                "/api/v1/compliance/checks",
                lambda i: {"unit": depts[i % len(depts)]},
            ),
            (
                "per-unit summary, department (dashboard)",
                "/api/v1/dashboard",
                lambda i: {"unit": depts[i % len(depts)]},
            ),
        ]
        results = {}
        failures = 0
        _warm_up(srv.url, token, queries, args)
        for label, path, params in queries:
            if args.only and args.only not in label:
                continue
            times, total, what, err = [], None, "hosts", None
            started = time.monotonic()
            # Two warm-up requests per worker: the first request a worker answers pays for
            # its connection and statement caches, which a running server has paid long ago.
            for i in range(-2 * args.workers, args.repeat):
                if times and time.monotonic() - started > args.budget:
                    break
                url = f"{srv.url}{path}?{urllib.parse.urlencode(params(max(i, 0)))}"
                try:
                    ms, data = _get(url, token)
                except OSError as exc:
                    err = f"{exc}"
                    break
                if i >= 0:
                    times.append(ms)
                    total, what = _matches(data)
            if err:
                failures += 1
                _say(f"{label}: FAILED {err}")
                continue
            p50, p95 = _pct(times, 0.5), _pct(times, 0.95)
            results[label] = {"p50_ms": p50, "p95_ms": p95, "matches": total, "n": len(times)}
            _say(
                f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms; ratio p95/ceiling "
                f"{p95 / CEILING_MS:.2f} (ceiling {CEILING_MS:.0f} ms; {len(times)} requests; "
                f"last answer: {total} {what})"
            )
        # Reference SQL for queries whose API answer is slow or missing: what a dedicated
        # service function costs on the same data (run in this process, no HTTP).
        with psql(db_url) as cur:
            for label, fn in (
                ("reference SQL: hosts by OS per unit, rolled up the tree", _rollup),
                (
                    "reference SQL: LibreOffice older than 7.5 (the API's statements, no HTTP)",
                    _older_than,
                ),
            ):
                if args.only and args.only not in label:
                    continue
                times = []
                for i in range(-2, args.repeat):
                    t = time.perf_counter()
                    total = fn(cur)
                    if i >= 0:
                        times.append((time.perf_counter() - t) * 1000)
                p50, p95 = _pct(times, 0.5), _pct(times, 0.95)
                results[label] = {"p50_ms": p50, "p95_ms": p95, "matches": total, "n": len(times)}
                _say(
                    f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms; ratio p95/ceiling "
                    f"{p95 / CEILING_MS:.2f} ({total} hosts)"
                )
        worst = max(
            (r["p95_ms"] for k, r in results.items() if not k.startswith("reference")),
            default=0.0,
        )
        _say(f"worst p95: {worst:.1f} ms; ratio worst p95/ceiling {worst / CEILING_MS:.2f}")
        _say(f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if args.json:
            _say(json.dumps(results))
        return 1 if failures else 0
    finally:
        if srv is not None:
            srv.stop()
        if args.keep or args.reuse:
            _say(f"kept database {dbname}")
        else:
            server.drop_database(args.pg_url, dbname)
        shutil.rmtree(data_dir, ignore_errors=True)


def _matches(data: dict) -> tuple[int | None, str]:
    """Return how many things an answer counts, and what: hosts, or the rows of a summary."""
    total = data.get("total", data.get("hosts"))
    if total is not None:
        return total, "hosts"
    for key in ("units", "checks"):
        if isinstance(data.get(key), list):
            return len(data[key]), key
    return None, "hosts"


def _warm_up(base: str, token: str, queries, args) -> None:
    """Send every query from several clients at once, untimed, so that each worker has run it.

    Sequential requests tend to go to the same worker, and the first request another worker
    answers pays for its connection and caches (about 100 ms), which a running server paid long
    ago: it would stand as one request's time among the 20.
    """
    from concurrent.futures import ThreadPoolExecutor

    urls = [
        f"{base}{path}?{urllib.parse.urlencode(params(i))}"
        for label, path, params in queries
        if not args.only or args.only in label
        for i in range(2)
    ]
    with ThreadPoolExecutor(max_workers=2 * args.workers) as pool:
        for _ in range(2):
            list(pool.map(lambda u: _get(u, token), urls))


def _rollup(cur) -> int:
    """Hosts by OS family and name for every unit, each unit counting its whole subtree."""
    cur.execute(
        "SELECT u.path, h.os_family, h.os_name, count(*) FROM hosts h "
        "JOIN org_units u ON u.id = h.unit_id WHERE h.status = 'active' "
        "GROUP BY u.path, h.os_family, h.os_name"
    )
    totals: dict[str, dict[tuple, int]] = {}
    for path, family, name, n in cur.fetchall():
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            unit = "/" + "/".join(parts[:depth]) + "/"
            per = totals.setdefault(unit, {})
            per[(family, name)] = per.get((family, name), 0) + n
    return max(sum(v.values()) for v in totals.values())


def _older_than(cur, title: str = querygen.LIBREOFFICE, wanted: str = "7.5") -> int:
    """Hosts with ``title`` older than ``wanted``, with the statements the hosts service sends:
    the title's package versions, compared in Python, then the hosts whose package-id array
    holds one of them (count and first page), without HTTP or the ORM."""
    from inventory_server import versions

    cur.execute(
        "SELECT p.id, p.version FROM software_packages p JOIN software_titles t "
        "ON t.id = p.title_id WHERE t.name_key = %s",
        (title,),
    )
    ids = [pid for pid, v in cur.fetchall() if versions.matches(v, "lt", wanted)]
    cur.execute("SET LOCAL enable_seqscan = off")  # as the service does, for this transaction
    where = (
        "h.status = 'active' AND h.id IN (SELECT hs.host_id FROM host_software hs "
        "WHERE hs.package_ids && %s::integer[])"
    )
    cur.execute(f"SELECT count(*) FROM hosts h WHERE {where}", (ids,))  # noqa: S608
    total = cur.fetchone()[0]
    cur.execute(
        f"SELECT h.id FROM hosts h WHERE {where} "  # noqa: S608
        "ORDER BY h.hostname, h.id LIMIT 50",
        (ids,),
    )
    cur.fetchall()
    cur.connection.rollback()
    return total


class psql:
    """A short psycopg cursor on ``db_url`` (context manager)."""

    def __init__(self, db_url: str):
        self.conninfo = _conninfo(db_url)

    def __enter__(self):
        import psycopg

        self.conn = psycopg.connect(self.conninfo)
        return self.conn.cursor()

    def __exit__(self, *exc):
        self.conn.close()
