"""Each benchmark runs end to end in a tiny configuration and prints its ratio lines."""

import contextlib
import os
import re
import subprocess
import sys

from tests.conftest import PG_URL, ROOT


def _run(script: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", script), "--pg-url", PG_URL, *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _figure(out: str, label: str) -> float:
    m = re.search(rf"^{re.escape(label)}: ([0-9.]+)", out, re.M)
    assert m, f"no {label!r} line in:\n{out}"
    return float(m.group(1))


def test_ingest_benchmark_prints_rates_and_ratios(pg_template):
    out = _run(
        "ingest", "--hosts", "12", "--seconds", "2", "--ceiling-seconds", "1",
        "--clients", "2", "--workers", "2",
    )
    assert _figure(out, "fulls/s") > 0
    assert _figure(out, "deltas/s") > 0
    assert _figure(out, "ceiling/s") > 0
    assert 0 < _figure(out, "ratio deltas/ceiling") < 10
    assert re.search(r"^worker RSS: start [0-9.]+ MiB, end [0-9.]+ MiB", out, re.M)
    assert re.search(r"first full reports from 12 new hosts", out)
    # Each phase shows the whole machine's busy cores beside the server's and PostgreSQL's.
    busy = re.findall(r"rest ([0-9.]+); machine busy ([0-9.]+) of (\d+)\)", out)
    assert len(busy) == 3, out  # fulls, deltas, ceiling
    for rest, used, cores in busy:
        assert 0 < float(used) <= int(cores) + 0.1
        assert float(rest) <= float(used)
    assert re.search(r"^  fulls: .* the whole machine's busy CPU per report [0-9.]+ ms$", out, re.M)
    assert "errors on" not in out


def test_ingest_benchmark_on_new_connections(pg_template):
    """Reports on a new connection each (as agents send them) are counted like kept ones."""
    out = _run(
        "ingest", "--hosts", "6", "--seconds", "1", "--ceiling-seconds", "1",
        "--clients", "2", "--workers", "1", "--new-connections",
    )
    assert "a new connection per report" in out
    assert re.search(r"first full reports from 6 new hosts", out)
    assert _figure(out, "deltas/s") > 0
    assert "errors on" not in out


def test_query_benchmark_prints_p95_ratios(pg_template):
    out = _run("query", "--hosts", "40", "--per-host", "40", "--titles", "200", "--repeat", "2")
    # Each host has a result for each check of the built-in workstation packs.
    results = re.search(r"^  \d+ units, 40 hosts, 200 titles, (\d+) compliance results", out, re.M)
    assert results, out
    assert int(results[1]) > 0 and int(results[1]) % 40 == 0
    lines = re.findall(r"^(.+): p50 [0-9.]+ ms, p95 ([0-9.]+) ms; ratio p95/ceiling", out, re.M)
    labels = {label for label, _ in lines}
    assert "LibreOffice older than 7.5" in labels
    assert "per-unit summary, province (dashboard)" in labels
    assert "software catalogue, province, pages 1-3" in labels
    assert "compliance per unit, province" in labels
    assert len(lines) == 14  # 12 through the API, 2 reference SQL
    assert "FAILED" not in out
    assert re.search(r"^worst p95: [0-9.]+ ms; ratio worst p95/ceiling", out, re.M)


def test_compliance_db_benchmark_stores_hosts_and_prints_ratios(sqlite_url):
    """bench/compliance_db.py builds its hosts with the current schema and re-evaluates them."""
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "compliance_db.py"), "--hosts", "40",
         "--url", sqlite_url],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^stored 40 hosts", proc.stdout, re.M)
    assert re.search(r"ratio second run \(re-evaluate, results stored\): [0-9,]+ / 5,000",
                     proc.stdout)
    assert re.search(r"^results stored: 1120 ", proc.stdout, re.M)


@contextlib.contextmanager
def _answering(answer):
    """Serve POSTs on a loopback port: ``answer(token, body, encoding)`` returns (status, body).

    Yields the server's URL.
    """
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            token = self.headers["Authorization"].removeprefix("Bearer ")
            status, out = answer(token, body, self.headers["Content-Encoding"])
            self.send_response(status)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()


def test_load_client_counts_answers_by_status_over_kept_and_new_connections():
    """The load generator's HTTP client: each report answered, non-200 answers counted apart."""
    from bench.lib import load

    seen = []

    def answer(token, body, encoding):
        seen.append((token, body, encoding))
        if token == "bad":
            return 401, b'{"error": "unauthorized"}'
        return 200, b'{"status": "accepted"}'

    items = [("kmh_a", b"x" * 70_000), ("bad", b"y"), ("kmh_b", b"")]
    with _answering(answer) as url:
        for keep_alive in (True, False):
            seen.clear()
            res = load.run(url, "/api/v1/reports", items, clients=1, keep_alive=keep_alive,
                           connections=2)
            assert res.ok == 2
            assert res.errors == {401: 1}
            assert res.error_sample.startswith("401: ") and "unauthorized" in res.error_sample
            assert sorted(seen) == sorted((t, b, "gzip") for t, b in items)


def test_load_clients_share_the_items_sent_once():
    """Sending every item once, a client held up by a slow answer leaves the rest to the others.

    With each client given a fixed share, the items after the slow one would wait for it.
    """
    import time

    from bench.lib import load

    seen = []
    slow_done = []

    def answer(token, body, encoding):
        seen.append((token, bool(slow_done)))
        if token == "slow":
            time.sleep(1.0)
            slow_done.append(True)
        return 200, b"{}"

    items = [("slow", b"s")] + [(f"kmh_{i}", b"x") for i in range(11)]
    with _answering(answer) as url:
        res = load.run(url, "/api/v1/reports", items, clients=2, connections=1)
    assert res.ok == 12 and not res.errors
    assert sorted(t for t, _ in seen) == sorted(t for t, _ in items)  # each sent once
    # Every other item was sent while the slow one was being answered.
    assert [t for t, after_slow in seen if after_slow] == []
