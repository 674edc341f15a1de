"""Load generator: client processes posting pre-built bodies over HTTP.

Bodies are built before the processes fork, so a client only sends bytes and reads answers. With
``keep_alive`` (the default) each client process keeps ``connections`` HTTP/1.1
connections (reopened when the server closes them) and sends its reports over them in turn, one
at a time, as a load balancer spreads many agents' reports over its pool of connections to the
server: each connection stays with the server process that accepted it, so with one connection per
client a client's every report goes to one process, and a few clients can load the processes
unevenly. Without ``keep_alive``, each report goes on a new connection, as agents send theirs
(one report per run, hours apart).

Posting every item once, the clients take the next item from one shared counter, so that each
keeps sending until every item is sent: a client slowed down by the server process its
connections landed on does not leave a share of the items to send alone after the others have
finished (which measured the load generator's tail, not the server). Cycling for a number of
seconds, each client goes over its own share of the items.
"""

import http.client
import multiprocessing as mp
import os
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_ITEMS: list[tuple[str, bytes]] = []  # (token, body), shared with forked clients


@dataclass
class Result:
    """What a phase measured, summed over the client processes."""

    ok: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    error_sample: str = ""
    elapsed: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Return the ``q`` quantile of the latencies, in milliseconds."""
        if not self.latencies:
            return 0.0
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


class _Conn:
    """One HTTP/1.1 connection: pre-formatted requests, responses read by Content-Length.

    Lighter than ``http.client`` (which builds header objects and an email-style parser per
    response): the load generator shares the machine's cores with the server it measures.
    """

    def __init__(self, host: str, port: int):
        self.addr, self.sock, self.buf = (host, port), None, b""

    def post(self, head: bytes, body: bytes) -> tuple[int, bytes, bool]:
        """Send one request; return (status, body, server closes)."""
        if self.sock is None:
            self.sock = socket.create_connection(self.addr, timeout=120)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        header, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = header.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, closes = None, lines[0].startswith(b"HTTP/1.0")
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                closes = value.strip().lower() == b"close"
        if length is None:
            raise http.client.HTTPException(f"no Content-Length in the {status} response")
        while len(self.buf) < length:
            self._recv()
        data, self.buf = self.buf[:length], self.buf[length:]
        return status, data, closes

    def _recv(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise http.client.RemoteDisconnected("the server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        """Close the socket; the next post opens a new one."""
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""


def _client(url, path, indices, loop, start_at, deadline, queue, keep_alive, connections, shared):
    u = urlsplit(url)
    conns = [_Conn(u.hostname, u.port) for _ in range(connections)]
    close = "" if keep_alive else "Connection: close\r\n"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Encoding: gzip\r\n{close}Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
    ).encode()
    ok, errors, sample, lat = 0, {}, "", []
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = os.times()
    pos = 0
    n = len(indices)
    while n and (pos < n or loop):
        now = time.time()
        if deadline and now >= deadline:
            break
        if shared is None:
            index = indices[pos % n]
        else:
            with shared.get_lock():
                index = shared.value
                shared.value += 1
            if index >= n:
                break
        token, body = _ITEMS[index]
        conn = conns[pos % connections]
        pos += 1
        t = time.perf_counter()
        try:
            status, data, closes = conn.post(head % (token.encode(), len(body)), body)
            if closes or not keep_alive:
                conn.close()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            conn.close()
            status, data = 0, str(exc).encode()
        lat.append(time.perf_counter() - t)
        if status == 200:
            ok += 1
        else:
            errors[status] = errors.get(status, 0) + 1
            sample = sample or f"{status}: {data[:300]!r}"
    t1 = os.times()
    queue.put(
        {
            "ok": ok,
            "errors": errors,
            "sample": sample,
            "end": time.time(),
            "cpu": (t1.user - t0.user) + (t1.system - t0.system),
            "lat": lat[:: max(1, len(lat) // 5000)],
        }
    )


def run(
    url: str,
    path: str,
    items: list[tuple[str, bytes]],
    *,
    clients: int,
    seconds: float | None = None,
    keep_alive: bool = True,
    connections: int = 1,
) -> Result:
    """Post every item once (``seconds`` None) or cycle through them for ``seconds``.

    Each post on a new connection unless ``keep_alive`` (see the module's documentation); with
    it, each client keeps ``connections`` connections and sends its posts over them in turn.
    Posting every item once, the clients share one counter of the next item to send.
    """
    global _ITEMS
    _ITEMS = items
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 0.3
    deadline = start_at + seconds if seconds else None
    shared = None if seconds is not None else ctx.Value("q", 0)
    procs = []
    for c in range(clients):
        indices = list(range(c, len(items), clients)) if shared is None else range(len(items))
        p = ctx.Process(
            target=_client,
            args=(
                url,
                path,
                indices,
                seconds is not None,
                start_at,
                deadline,
                queue,
                keep_alive,
                connections,
                shared,
            ),
        )
        p.start()
        procs.append(p)
    res = Result()
    ends = []
    for _ in procs:
        r = queue.get()
        res.ok += r["ok"]
        for k, v in r["errors"].items():
            res.errors[k] = res.errors.get(k, 0) + v
        res.error_sample = res.error_sample or r["sample"]
        res.client_cpu += r["cpu"]
        res.latencies.extend(r["lat"])
        ends.append(r["end"])
    for p in procs:
        p.join()
    res.elapsed = max(ends) - start_at
    return res
