"""HTTP(S) to the server: gzip bodies, bearer tokens, CA verification, JSON errors."""

import gzip
import json
import ssl
import urllib.error
import urllib.request
from typing import Optional

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
        return self.status is None or self.status >= 500 or self.status == 429


def _ssl_context(ca_file: str):
    ctx = ssl.create_default_context(cafile=ca_file or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def post_json(
    url: str,
    body: bytes,
    *,
    token: Optional[str] = None,
    ca_file: str = "",
    timeout: float = 30.0,
    compress: bool = True,
) -> dict:
    """POST a JSON body (gzip-compressed by default) and return the decoded JSON answer."""
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
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    context = _ssl_context(ca_file) if url.startswith("https://") else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:  # noqa: S310
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        code, message = None, exc.reason
        try:
            err = json.loads(exc.read()).get("error", {})
            code, message = err.get("code"), err.get("message", message)
        except (ValueError, AttributeError, OSError):
            pass
        raise TransportError(f"{url}: HTTP {exc.code}: {message}", exc.code, code) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransportError(f"{url}: cannot reach the server: {reason}") from exc
