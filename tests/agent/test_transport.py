"""Transport against a real loopback server: gzip, token, retries, refusals, TLS pinning."""

import random
import shutil
import socket
import ssl
import subprocess

import pytest

from agent import transport
from tests.agent.server import Recorder


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gzip_body_and_bearer_token():
    with Recorder() as srv:
        answer = transport.post_json(srv.url + "/api/v1/reports", b'{"a": 1}', token="tok")
    assert answer["status"] == "accepted"
    req = srv.requests[0]
    assert req["path"] == "/api/v1/reports" and req["json"] == {"a": 1}
    assert req["headers"]["Authorization"] == "Bearer tok"
    assert req["headers"]["Content-Encoding"] == "gzip"


def test_json_error_is_reported_with_code():
    with Recorder() as srv:
        srv.answers.put((401, {"error": {"code": "bad_token", "message": "Unknown token"}}))
        with pytest.raises(transport.TransportError) as err:
            transport.post_json(srv.url + "/x", b"{}")
    assert err.value.status == 401 and err.value.code == "bad_token"
    assert "Unknown token" in str(err.value) and not err.value.retryable


def test_retries_server_errors_with_backoff_then_succeeds():
    waits = []
    with Recorder() as srv:
        srv.answers.put((503, {"error": {"code": "busy", "message": "later"}}))
        srv.answers.put((502, {}))
        answer = transport.post_with_retries(srv.url + "/x", b"{}", attempts=4, base_delay=1.0,
                                             sleep=waits.append, rng=random.Random(1))
    assert answer["status"] == "accepted" and len(srv.requests) == 3
    assert len(waits) == 2 and 0 <= waits[0] <= 1.0 and 0 <= waits[1] <= 2.0


def test_no_retry_on_refusal():
    waits = []
    with Recorder() as srv:
        srv.answers.put((400, {"error": {"code": "invalid", "message": "bad field"}}))
        with pytest.raises(transport.TransportError):
            transport.post_with_retries(srv.url + "/x", b"{}", attempts=4, sleep=waits.append)
    assert waits == [] and len(srv.requests) == 1


def test_unreachable_gives_up_after_attempts():
    waits = []
    url = f"http://127.0.0.1:{_free_port()}/x"
    with pytest.raises(transport.TransportError) as err:
        transport.post_with_retries(url, b"{}", attempts=3, base_delay=0.5, sleep=waits.append)
    assert err.value.retryable and len(waits) == 2
    assert "cannot reach" in str(err.value)


def test_backoff_window_grows_and_is_capped():
    rng = random.Random(0)
    delays = list(transport.backoff_delays(8, 1.0, 10.0, rng))
    assert len(delays) == 7 and all(0 <= d <= 10.0 for d in delays)


def test_pin_format_checked():
    assert transport.normalise_pin("AB:" * 31 + "AB") == "ab" * 32
    with pytest.raises(ValueError, match="pin_sha256"):
        transport.normalise_pin("abc")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )
    der = ssl.PEM_cert_to_DER_cert((d / "cert.pem").read_text())
    return d / "cert.pem", d / "key.pem", transport.cert_sha256(der)


def _tls_server(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return Recorder(tls_context=ctx)


def test_tls_with_ca_file_and_matching_pin(tls_files):
    cert, key, pin = tls_files
    with _tls_server(cert, key) as srv:
        assert transport.post_json(srv.url + "/x", b"{}", ca_file=str(cert))["status"] == \
            "accepted"
        assert transport.post_json(srv.url + "/x", b"{}", ca_file=str(cert),
                                   pin_sha256=pin)["status"] == "accepted"
        # A pin alone trusts this self-signed certificate and nothing else.
        assert transport.post_json(srv.url + "/x", b"{}", pin_sha256=pin)["host_id"] == 7


def test_tls_pin_mismatch_and_unknown_ca_refused(tls_files):
    cert, key, _pin = tls_files
    wrong = "0" * 64
    with _tls_server(cert, key) as srv:
        with pytest.raises(transport.TransportError) as err:
            transport.post_json(srv.url + "/x", b"{}", pin_sha256=wrong)
        assert err.value.code == "pin_mismatch" and not err.value.retryable
        with pytest.raises(transport.TransportError) as err:
            transport.post_json(srv.url + "/x", b"{}")  # system CAs do not know this cert
        assert err.value.code == "tls" and not err.value.retryable
        assert srv.requests == []  # nothing was sent to an unverified server


def test_plain_http_through_a_proxy():
    with Recorder() as proxy:
        answer = transport.post_json("http://kiemke.invalid:8080/api/v1/reports", b"{}",
                                     proxy=proxy.url)
    assert answer["status"] == "accepted"
    assert proxy.requests[0]["path"] == "http://kiemke.invalid:8080/api/v1/reports"


def test_https_through_a_connect_proxy_keeps_the_pin(tls_files):
    from tests.agent.server import ConnectProxy

    cert, key, pin = tls_files
    with _tls_server(cert, key) as srv, ConnectProxy() as proxy:
        via = f"http://127.0.0.1:{proxy.port}"
        assert transport.post_json(srv.url + "/x", b"{}", pin_sha256=pin, proxy=via)[
            "host_id"] == 7
        with pytest.raises(transport.TransportError) as err:
            transport.post_json(srv.url + "/x", b"{}", pin_sha256="1" * 64, proxy=via)
        assert err.value.code == "pin_mismatch"
    assert proxy.tunnels[0] == f"127.0.0.1:{srv.port}"


def test_proxy_from_environment_and_bypass(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.tinh.gov.vn:3128")
    monkeypatch.setenv("no_proxy", "localhost,kiemke.local")
    assert transport.proxy_for("https://kiemke.tinh.gov.vn/api") == ("proxy.tinh.gov.vn", 3128)
    assert transport.proxy_for("https://kiemke.local/api") is None
    assert transport.proxy_for("https://kiemke.tinh.gov.vn/api", "direct") is None
    assert transport.proxy_for("https://x/api", "10.0.0.1:8080") == ("10.0.0.1", 8080)
