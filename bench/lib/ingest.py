"""The ingest benchmark: simulated agents post full and delta reports to a real server."""

import argparse
import gzip
import json
import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.lib import load, server
from bench.lib.reports import bodies, build_report, enroll_body

TARGET_DELTAS = 1000.0
TARGET_FULLS = 100.0
TARGET_RATIO = 0.5


def parse(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(
        prog="bench/ingest",
        description="Ingest benchmark: full reports/s, unchanged deltas/s and the ceiling.",
    )
    p.add_argument("--hosts", type=int, default=1000, help="simulated hosts (default 1000)")
    p.add_argument(
        "--seconds", type=float, default=60, help="length of the delta phase (default 60)"
    )
    p.add_argument(
        "--ceiling-seconds", type=float, default=10, help="each ceiling phase (default 10)"
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument(
        "--gunicorn-args",
        default="--worker-class gthread --threads 4",
        help="extra gunicorn flags (default: '--worker-class gthread --threads 4')",
    )
    p.add_argument(
        "--connections",
        type=int,
        default=2,
        help="kept connections per client, used in turn (default 2; 1 pins each client to one "
        "server process)",
    )
    p.add_argument(
        "--new-connections",
        action="store_true",
        help="a new connection per report, as agents send them (default: kept connections, "
        "see --connections)",
    )
    p.add_argument("--clients", type=int, default=6, help="client processes (default 6)")
    p.add_argument("--pg-url", default=os.environ.get("KIEMKE_BENCH_PG_URL", server.DEFAULT_PG))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = p.parse_args(argv)
    if (
        args.hosts < 1
        or args.seconds <= 0
        or args.clients < 1
        or args.workers < 1
        or args.connections < 1
    ):
        p.error("--hosts, --seconds, --clients, --workers and --connections must be positive")
    return args


def _build(job):
    i, seed, secret = job
    full, delta, _, npk = bodies(i, seed)
    report = build_report(i, seed)
    return full, delta, gzip.compress(enroll_body(report, secret)), npk


def _enroll(url: str, body: bytes) -> str:
    req = urllib.request.Request(  # noqa: S310 - loopback URL built here
        url + "/api/v1/enroll",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
        return json.loads(r.read())["token"]


def _mib(values: list[int]) -> float:
    return sum(values) / 1024 / 1024


def _say(msg: str) -> None:
    print(msg, flush=True)


def main(argv=None) -> int:
    """Run the benchmark; print each figure and its ratio to the target or the ceiling."""
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill as on Ctrl-C
    t_start = time.monotonic()
    dbname = server.create_database(args.pg_url, "kiemke_bench_ingest")
    db_url = server.pg_url(args.pg_url, dbname)
    data_dir = tempfile.mkdtemp(prefix="kiemke-bench-ingest-")
    env = server.server_env(db_url, data_dir, KIEMKE_BENCH_ENDPOINTS="1")
    srv = None
    try:
        server.cli(env, "init", "--admin-password", "bench-admin-password-1")
        secret = server.last_line(server.cli(env, "secret", "create", "--days", "1"))
        # The workers must not inherit the SIGTERM handler above: terminate() would leave a
        # worker stuck on the task queue's lock, and the benchmark hanging with it.
        with mp.get_context("fork").Pool(
            os.cpu_count() or 2, signal.signal, (signal.SIGTERM, signal.SIG_DFL)
        ) as pool:
            built = pool.map(_build, [(i, args.seed, secret) for i in range(args.hosts)], 16)
        sizes = [b[3] for b in built]
        full_kib = sum(len(b[0]) for b in built) / len(built) / 1024
        _say(
            f"reports: {args.hosts} hosts, {min(sizes)}-{max(sizes)} packages "
            f"(mean {sum(sizes) / len(sizes):.0f}) from real Debian package lists; "
            f"full report {full_kib:.0f} KiB gzip, delta {len(built[0][1])} B gzip"
        )
        srv = server.start(env, server.free_port(), args.workers, args.gunicorn_args)
        _say(
            f"server: kiemke-server run --workers {args.workers}"
            f"{' ' + args.gunicorn_args if args.gunicorn_args else ''} on PostgreSQL ({dbname}); "
            f"{args.clients} client processes on the same {os.cpu_count()} cores, "
            + (
                "a new connection per report"
                if args.new_connections
                else f"{args.connections} kept connections each, used in turn"
            )
        )
        with ThreadPoolExecutor(4) as ex:
            tokens = list(ex.map(lambda b: _enroll(srv.url, b[2]), built))
        fulls = [(t, b[0]) for t, b in zip(tokens, built, strict=True)]
        deltas = [(t, b[1]) for t, b in zip(tokens, built, strict=True)]
        del built

        def phase(path, items, seconds=None):
            pg = server.BackendCPU(args.pg_url, dbname)
            workers = [w.pid for w in srv.workers()]
            w0 = time.monotonic()
            c0 = server.cpu_seconds(workers)
            m0 = server.machine_busy_seconds()
            res = load.run(
                srv.url,
                path,
                items,
                clients=args.clients,
                seconds=seconds,
                keep_alive=not args.new_connections,
                connections=args.connections,
            )
            c1 = server.cpu_seconds(workers)
            m1 = server.machine_busy_seconds()
            # CPU seconds over the phase: the window from before the clients start to after
            # they end (``wall``), a little longer than the requests' own (``res.elapsed``).
            res.wall = time.monotonic() - w0
            res.cpu = {
                "server": c1 - c0,
                "postgres": pg.stop(),
                "clients": res.client_cpu,
                "machine": m1 - m0,
            }
            if res.errors:
                _say(f"  errors on {path}: {res.errors} e.g. {res.error_sample}")
            return res

        ncores = os.cpu_count() or 2

        def cores(res) -> str:
            c = {k: v / res.wall for k, v in res.cpu.items()}
            # The rest of the machine: PostgreSQL's background processes (WAL writer,
            # checkpointer, autovacuum), the kernel, this benchmark's own process, other users.
            rest = c["machine"] - c["server"] - c["postgres"] - c["clients"]
            return (
                f"cores used: server {c['server']:.2f}, postgres {c['postgres']:.2f}, "
                f"clients {c['clients']:.2f}, rest {max(rest, 0.0):.2f}; "
                f"machine busy {c['machine']:.2f} of {ncores}"
            )

        def per_report(res, key: str) -> float:
            """CPU seconds per report answered."""
            return res.cpu[key] / res.ok if res.ok else 0.0

        def capacity(res) -> float:
            """Reports/s the server and PostgreSQL would sustain alone on this machine's cores."""
            per = per_report(res, "server") + per_report(res, "postgres")
            return ncores / per if per else 0.0

        def cpu_line(name, res) -> str:
            ms = {k: per_report(res, k) * 1000 for k in res.cpu}
            return (
                f"  {name}: CPU per report: server {ms['server']:.2f} ms, postgres "
                f"{ms['postgres']:.2f} ms, client {ms['clients']:.2f} ms; "
                f"{ncores} cores given to server+postgres alone would sustain "
                f"{capacity(res):.0f}/s; the whole machine's busy CPU per report "
                f"{ms['machine']:.2f} ms"
            )

        full = phase("/api/v1/reports", fulls)
        _say(
            f"fulls/s: {full.rate:.1f} (first full reports from {full.ok} new hosts in "
            f"{full.elapsed:.1f} s; p50 {full.percentile(0.5):.0f} ms, "
            f"p95 {full.percentile(0.95):.0f} ms; {cores(full)})"
        )
        full_ceiling = phase(
            "/api/v1/reports/discard", fulls, min(args.ceiling_seconds, full.elapsed)
        )
        ceil1 = phase("/api/v1/reports/discard", deltas, args.ceiling_seconds)
        rss0 = srv.worker_rss()
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample():
            t0 = time.monotonic()
            while not stop.wait(10):
                samples.append((time.monotonic() - t0, _mib(srv.worker_rss())))

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        delta = phase("/api/v1/reports", deltas, args.seconds)
        stop.set()
        th.join()
        rss1 = srv.worker_rss()
        ceil2 = phase("/api/v1/reports/discard", deltas, args.ceiling_seconds)
        ceiling = (ceil1.ok + ceil2.ok) / (ceil1.elapsed + ceil2.elapsed)
        _say(
            f"deltas/s: {delta.rate:.1f} (unchanged deltas for {delta.elapsed:.0f} s; "
            f"p50 {delta.percentile(0.5):.1f} ms, p95 {delta.percentile(0.95):.1f} ms; "
            f"{cores(delta)})"
        )
        _say(
            f"ceiling/s: {ceiling:.1f} (same delta payloads to /api/v1/reports/discard: "
            f"{ceil1.rate:.1f} before, {ceil2.rate:.1f} after; {cores(ceil1)})"
        )
        _say(f"full ceiling/s: {full_ceiling.rate:.1f} (full payloads to the discard endpoint)")
        _say(cpu_line("fulls", full))
        _say(cpu_line("deltas", delta))
        _say(cpu_line("ceiling", ceil1))
        ratio = delta.rate / ceiling if ceiling else 0.0
        _say(f"ratio deltas/ceiling: {ratio:.2f} (target >= {TARGET_RATIO})")
        _say(
            f"ratio deltas/target: {delta.rate / TARGET_DELTAS:.2f} (target {TARGET_DELTAS:.0f}/s)"
        )
        _say(f"ratio fulls/target: {full.rate / TARGET_FULLS:.2f} (target {TARGET_FULLS:.0f}/s)")
        fc = full.rate / full_ceiling.rate if full_ceiling.rate else 0.0
        _say(f"ratio fulls/full ceiling: {fc:.2f}")
        trend = ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples[-12:])
        _say(
            f"worker RSS: start {_mib(rss0):.1f} MiB, end {_mib(rss1):.1f} MiB over "
            f"{len(rss0)} workers; ratio end/start {_mib(rss1) / _mib(rss0):.3f}"
            f"{'; MiB at ' + trend if trend else ''}"
        )
        load1 = os.getloadavg()[0]
        _say(
            f"total time {time.monotonic() - t_start:.0f} s; load average at the end {load1:.1f} "
            f"on {ncores} cores (other work on the machine shares them)"
        )
        if args.json:
            _say(
                json.dumps(
                    {
                        "fulls_per_s": full.rate,
                        "deltas_per_s": delta.rate,
                        "ceiling_per_s": ceiling,
                        "delta_ceiling_ratio": ratio,
                        "full_ceiling_per_s": full_ceiling.rate,
                        "fulls_capacity_per_s": capacity(full),
                        "fulls_machine_cpu_ms": per_report(full, "machine") * 1000,
                        "deltas_capacity_per_s": capacity(delta),
                        "ceiling_capacity_per_s": capacity(ceil1),
                        "rss_start_mib": _mib(rss0),
                        "rss_end_mib": _mib(rss1),
                        "errors": sum(r.errors.get(k, 0) for r in (full, delta) for k in r.errors),
                    }
                )
            )
        failed = sum(sum(r.errors.values()) for r in (full, delta, ceil1, ceil2))
        return 1 if failed else 0
    finally:
        if srv is not None:
            srv.stop()
        if not args.keep:
            server.drop_database(args.pg_url, dbname)
        else:
            _say(f"kept database {dbname}")
        shutil.rmtree(data_dir, ignore_errors=True)
