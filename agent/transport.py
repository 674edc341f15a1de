"""HTTP(S) to the server: gzip bodies, bearer tokens, CA verification, optional certificate
pinning, retries with exponential back-off and jitter, JSON errors."""

import gzip
import hashlib
import http.client
import json
import random
import socket
import ssl
import time
import urllib.parse
from typing import Callable, Optional, Tuple

from agent import __version__


class TransportError(RuntimeError):
    """The server could not be reached or refused the request."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        """True for network failures and server-side errors, False for refusals."""
        return self.status is None or self.status >= 500 or self.status in (408, 429)


def normalise_pin(pin: str) -> str:
    """Return a SHA-256 pin as 64 lower-case hex digits (colons and spaces allowed in input)."""
    value = pin.replace(":", "").replace(" ", "").strip().lower()
    if value.startswith("sha256/") or value.startswith("sha256="):
        value = value[7:]
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(
            f"pin_sha256 must be the SHA-256 of the server certificate as 64 hex digits: {pin!r}"
        )
    return value


def cert_sha256(der: bytes) -> str:
    """Return the SHA-256 (hex) of a DER certificate, the form pin_sha256 takes."""
    return hashlib.sha256(der).hexdigest()


def proxy_for(url: str, proxy: str = "") -> Optional[Tuple[str, int]]:
    """Return the (host, port) of the proxy to use for ``url``, or None to connect directly.

    ``proxy`` (the agent's ``proxy`` setting) wins; else the usual environment variables
    (``https_proxy``, ``http_proxy``, ``no_proxy``) or, on Windows, the system settings.
    """
    parts = urllib.parse.urlsplit(url)
    if proxy == "direct":
        return None
    if not proxy:
        from urllib import request  # imported here: only the network commands need it

        if request.proxy_bypass(parts.hostname or ""):
            return None
        proxy = request.getproxies().get(parts.scheme, "")
        if not proxy:
            return None
    p = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
    if not p.hostname:
        raise TransportError(f"proxy {proxy!r}: not a host[:port] or http://host:port", status=0)
    return p.hostname, p.port or 8080


def _ssl_context(ca_file: str, pin: str):
    ctx = ssl.create_default_context(cafile=ca_file or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if pin and not ca_file:
        # A pin alone is the trust anchor (self-signed servers): the pin check replaces CA checks.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def post_json(
    url: str,
    body: bytes,
    *,
    token: Optional[str] = None,
    ca_file: str = "",
    pin_sha256: str = "",
    timeout: float = 30.0,
    compress: bool = True,
    proxy: str = "",
) -> dict:
    """POST a JSON body (gzip-compressed by default) and return the decoded JSON answer."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"{url}: not an http:// or https:// URL", status=0)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"kiemke-agent/{__version__}",
        "Accept": "application/json",
    }
    if compress:
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    pin = normalise_pin(pin_sha256) if pin_sha256 else ""
    if parts.scheme == "http" and pin:
        raise TransportError(f"{url}: certificate pinning needs an https:// URL", status=0)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    via = proxy_for(url, proxy)
    if parts.scheme == "https":
        context = _ssl_context(ca_file, pin)
        if via:
            # CONNECT through the proxy; TLS, CA checks and the pin still end at the server.
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                via[0], via[1], timeout=timeout, context=context
            )
            conn.set_tunnel(host, port)
        else:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    elif via:
        conn = http.client.HTTPConnection(via[0], via[1], timeout=timeout)
        path = f"http://{parts.netloc}{path}"  # a plain-HTTP proxy takes the absolute URL
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.connect()
        if pin:
            der = conn.sock.getpeercert(binary_form=True)  # type: ignore[union-attr]
            got = cert_sha256(der or b"")
            if got != pin:
                raise TransportError(
                    f"{url}: server certificate does not match the pinned SHA-256 "
                    f"(got {got}, expected {pin})",
                    status=0,
                    code="pin_mismatch",
                )
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        status = resp.status
    except TransportError:
        raise
    except ssl.SSLError as exc:
        # A certificate the agent cannot verify is a refusal, not a network blip: do not retry.
        raise TransportError(f"{url}: TLS failed: {exc}", status=0, code="tls") from exc
    except (OSError, http.client.HTTPException, socket.timeout) as exc:
        raise TransportError(f"{url}: cannot reach the server: {exc}") from exc
    finally:
        conn.close()
    if status >= 400:
        code, message = None, f"HTTP {status}"
        try:
            err = json.loads(data).get("error", {})
            code, message = err.get("code"), err.get("message", message)
        except (ValueError, AttributeError):
            pass
        label = f"HTTP {status} {code}" if code else f"HTTP {status}"
        raise TransportError(f"{url}: {label}: {message}", status, code)
    try:
        return json.loads(data or b"{}")
    except ValueError as exc:
        raise TransportError(f"{url}: the answer is not JSON: {data[:80]!r}", status) from exc


def backoff_delays(attempts: int, base: float, cap: float, rng: random.Random):
    """Yield the wait before each retry: full jitter over an exponentially growing window."""
    for n in range(max(0, attempts - 1)):
        yield rng.uniform(0, min(cap, base * (2**n)))


def post_with_retries(
    url: str,
    body: bytes,
    *,
    attempts: int = 4,
    base_delay: float = 2.0,
    max_delay: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: Optional[random.Random] = None,
    **kwargs,
) -> dict:
    """post_json, retried on network and server errors (not on refusals) with back-off."""
    rng = rng or random.Random()  # noqa: S311 - spreading retries, not cryptography
    delays = backoff_delays(attempts, base_delay, max_delay, rng)
    while True:
        try:
            return post_json(url, body, **kwargs)
        except TransportError as exc:
            if not exc.retryable:
                raise
            delay = next(delays, None)
            if delay is None:
                raise
            sleep(delay)
