"""send_report against a real loopback server: full, delta, need_full, spool and replay."""

import socket
from datetime import datetime, timezone

import pytest

from agent import sender as cli
from agent.config import AgentConfig
from agent.report import digests
from agent.schema import (
    SCHEMA_VERSION,
    AgentInfo,
    HostIdentity,
    Package,
    Report,
    Security,
    Software,
    encode,
)
from agent.state import State
from tests.agent.server import Recorder


def _report(packages=("bash",), when=0) -> Report:
    r = Report(
        schema_version=SCHEMA_VERSION,
        agent=AgentInfo(version="0.1.0", platform="linux"),
        host=HostIdentity(hostname="pc-01"),
        collected_at=datetime(2024, 1, 1, 0, when, tzinfo=timezone.utc),
        software=Software(packages=[Package(name=n, source="deb") for n in packages]),
        security=Security(),
    )
    r.digests = digests(r)
    return r


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(tmp_path, url, **kw):
    cfg = AgentConfig(server_url=url, state_dir=str(tmp_path / "state"), retries=2,
                      retry_base_seconds=0.01, **kw)
    state = State(cfg.state_dir)
    state.save_token("host-token")
    return cfg, state


def _send(cfg, state, report, **kw):
    return cli.send_report(cfg, State(cfg.state_dir) if state is None else state, full=report,
                           sleep=lambda s: None, **kw)


def test_full_then_delta_then_full_every_n(tmp_path):
    with Recorder() as srv:
        cfg, state = _setup(tmp_path, srv.url, full_every=3)
        kinds = [_send(cfg, state, _report(when=i))["kind"] for i in range(4)]
    assert kinds == ["full", "delta", "delta", "full"]
    delta = srv.requests[1]["json"]
    assert delta["kind"] == "delta" and delta["software"] is None and delta["security"] is None
    assert set(delta["digests"]) == {"software", "security"}  # digests of every section sent
    assert srv.requests[1]["headers"]["Authorization"] == "Bearer host-token"


def test_delta_carries_only_changed_sections(tmp_path):
    with Recorder() as srv:
        cfg, state = _setup(tmp_path, srv.url)
        _send(cfg, state, _report(["bash"]))
        answer = _send(cfg, state, _report(["bash", "vim"], when=1))
    sent = srv.requests[1]["json"]
    assert answer["kind"] == "delta" and answer["sent"] == ["software"]
    assert [p["name"] for p in sent["software"]["packages"]] == ["bash", "vim"]
    assert sent["security"] is None


def test_need_full_resends_the_sections(tmp_path):
    with Recorder() as srv:
        cfg, state = _setup(tmp_path, srv.url)
        _send(cfg, state, _report())
        srv.answers.put((200, {"status": "accepted", "host_id": 7, "need_full": ["security"]}))
        _send(cfg, state, _report(when=1))
    assert len(srv.requests) == 3
    assert srv.requests[1]["json"]["security"] is None
    assert srv.requests[2]["json"]["security"] == {}


def test_unreachable_spools_full_report_and_replays_in_order(tmp_path):
    port = _free_port()
    cfg, state = _setup(tmp_path, f"http://127.0.0.1:{port}")
    for i in range(2):
        with pytest.raises(cli.SpooledError, match="spooled"):
            _send(cfg, state, _report(["bash", f"p{i}"], when=i))
    assert len(cli.Spool(str(tmp_path / "state" / "spool"))) == 2
    # The agent restarts (new State), the server comes back on the same port.
    with Recorder(port=port) as srv:
        answer = _send(cfg, None, _report(["bash", "p2"], when=2))
    assert answer["spool_sent"] == 2
    got = [(r["json"]["kind"], r["json"]["collected_at"]) for r in srv.requests]
    assert got == [("full", "2024-01-01T00:00:00Z"), ("full", "2024-01-01T00:01:00Z"),
                   ("full", "2024-01-01T00:02:00Z")]
    assert len(cli.Spool(str(tmp_path / "state" / "spool"))) == 0


def test_server_error_spools_too(tmp_path):
    with Recorder() as srv:
        cfg, state = _setup(tmp_path, srv.url)
        srv.answers.put((503, {}))
        srv.answers.put((503, {}))
        with pytest.raises(cli.SpooledError):
            _send(cfg, state, _report())
        assert len(srv.requests) == 2  # retried once (retries=2)
        _send(cfg, state, _report(when=1))
    assert [r["json"]["collected_at"][-6:] for r in srv.requests[2:]] == ["00:00Z", "01:00Z"]


def test_refusal_is_not_spooled(tmp_path):
    with Recorder() as srv:
        cfg, state = _setup(tmp_path, srv.url)
        srv.answers.put((401, {"error": {"code": "unauthorized", "message": "revoked"}}))
        with pytest.raises(cli.TransportError) as err:
            _send(cfg, state, _report())
    assert not isinstance(err.value, cli.SpooledError)
    assert len(cli.Spool(str(tmp_path / "state" / "spool"))) == 0


def test_invalid_spooled_report_is_dropped_and_the_rest_sent(tmp_path):
    with Recorder() as srv:
        cfg, state = _setup(tmp_path, srv.url)
        spool = cli.Spool(str(tmp_path / "state" / "spool"))
        spool.put(b'{"broken": true}')
        spool.put(encode(_report(when=5)))
        srv.answers.put((400, {"error": {"code": "invalid_report", "message": "bad"}}))
        answer = _send(cfg, state, _report(when=6))
    assert answer["spool_sent"] == 1 and len(srv.requests) == 3
    assert len(spool) == 0


def test_not_enrolled(tmp_path):
    cfg = AgentConfig(server_url="http://127.0.0.1:9", state_dir=str(tmp_path / "s"))
    with pytest.raises(cli.TransportError, match="not enrolled"):
        cli.send_report(cfg, State(cfg.state_dir), full=_report())
