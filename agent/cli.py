"""kiemke-agent command line: enroll, once, run, show."""

import argparse
import json
import os
import random
import signal
import socket
import sys
import time

from agent import __version__
from agent.config import AgentConfig, load_config, save_config
from agent.report import collect, make_delta, with_sections
from agent.schema import SCHEMA_VERSION, AgentInfo, EnrollRequest, encode
from agent.state import State
from agent.transport import TransportError, post_json


def _api(cfg: AgentConfig, path: str) -> str:
    return cfg.server_url.rstrip("/") + "/api/v1" + path


def cmd_enroll(args) -> int:
    """Exchange an enrollment secret for this host's token and remember the server."""
    cfg = load_config(args.config)
    cfg.server_url = args.server
    if args.role:
        cfg.role = args.role
    if args.ca_file:
        cfg.ca_file = args.ca_file
    cfg.validate()
    report = collect(role=cfg.role, only={"os_info", "hardware_dmi", "network"})
    req = EnrollRequest(
        secret=args.secret,
        host=report.host,
        agent=AgentInfo(version=__version__, platform=sys.platform),
    )
    try:
        answer = post_json(
            _api(cfg, "/enroll"), encode(req), ca_file=cfg.ca_file, timeout=cfg.timeout_seconds
        )
    except TransportError as exc:
        print(f"kiemke-agent: enrollment failed: {exc}", file=sys.stderr)
        return 1
    save_config(cfg)
    state = State(cfg.state_dir)
    state.save_token(answer["token"])
    state.data = {"host_id": answer["host_id"], "server_url": cfg.server_url, "runs": 0}
    state.save()
    print(f"enrolled as host {answer['host_id']} in unit {answer.get('unit') or '-'}")
    print(f"configuration: {cfg.path}; token: {state.token_path}")
    return 0


def send_report(cfg: AgentConfig, state: State, *, force_full: bool = False) -> dict:
    """Collect, send a full or delta report, resend sections the server asks for; return answer."""
    token = state.token
    if not token or not cfg.server_url:
        raise TransportError("not enrolled: run 'kiemke-agent enroll --server URL --secret S'")
    full = collect(role=cfg.role)
    runs = int(state.data.get("runs", 0))
    last = state.data.get("digests") or {}
    send_full = force_full or not last or runs % cfg.full_every == 0
    report = full if send_full else make_delta(full, last)
    url = _api(cfg, "/reports")
    answer = post_json(url, encode(report), token=token, ca_file=cfg.ca_file,
                       timeout=cfg.timeout_seconds)
    need = [s for s in answer.get("need_full", []) if getattr(report, s, None) is None]
    if need:
        report = with_sections(report, full, need)
        answer = post_json(url, encode(report), token=token, ca_file=cfg.ca_file,
                           timeout=cfg.timeout_seconds)
    state.data.update(
        runs=runs + 1,
        digests=full.digests,
        host_id=answer.get("host_id", state.data.get("host_id")),
        last_report=full.collected_at.isoformat(),
    )
    state.save()
    answer["sent"] = [s for s in full.digests if getattr(report, s, None) is not None]
    answer["kind"] = report.kind
    answer["errors"] = [e.collector for e in full.errors]
    return answer


def cmd_once(args) -> int:
    """Collect and send one report."""
    cfg = load_config(args.config)
    state = State(cfg.state_dir)
    try:
        answer = send_report(cfg, state, force_full=args.full)
    except TransportError as exc:
        print(f"kiemke-agent: report failed: {exc}", file=sys.stderr)
        return 1
    sent = ", ".join(answer["sent"]) or "none (nothing changed)"
    print(f"report accepted for host {answer['host_id']} ({answer['kind']}; sections sent: {sent})")
    if answer["errors"]:
        print("collectors that failed: " + ", ".join(answer["errors"]), file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    """Report every interval (with jitter so a province's agents spread out) until stopped."""
    cfg = load_config(args.config)
    state = State(cfg.state_dir)
    stop = {"now": False}

    def _stop(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    rng = random.Random(f"{socket.gethostname()}-{os.getpid()}")  # noqa: S311 - spread only
    delay = rng.uniform(0, min(cfg.jitter_seconds, 60))
    while not stop["now"]:
        deadline = time.monotonic() + delay
        while not stop["now"] and time.monotonic() < deadline:
            time.sleep(min(1.0, deadline - time.monotonic()))
        if stop["now"]:
            break
        try:
            answer = send_report(cfg, state)
            print(f"report accepted ({answer['kind']}: {', '.join(answer['sent']) or '-'})",
                  flush=True)
        except TransportError as exc:
            print(f"report failed: {exc}", file=sys.stderr, flush=True)
        delay = cfg.interval_seconds + rng.uniform(-cfg.jitter_seconds, cfg.jitter_seconds)
        delay = max(60.0, delay)
    return 0


def cmd_show(args) -> int:
    """Print the report this agent would send, as JSON, without any network."""
    try:
        cfg = load_config(args.config)
        role = cfg.role
    except (ValueError, OSError):
        role = ""
    report = collect(role=role)
    sys.stdout.write(json.dumps(json.loads(encode(report)), indent=2, ensure_ascii=False) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    p = argparse.ArgumentParser(
        prog="kiemke-agent",
        description="Report this machine's hardware, software and security posture to Kiemke.",
    )
    p.add_argument("--version", action="version",
                   version=f"kiemke-agent {__version__} (schema {SCHEMA_VERSION})")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("enroll", help="enroll with the server using an enrollment secret")
    e.add_argument("--server", required=True, help="server URL, e.g. https://kiemke.example.vn")
    e.add_argument("--secret", required=True, help="enrollment secret from the IT officer")
    e.add_argument("--role", choices=["workstation", "server"], help="role of this machine")
    e.add_argument("--ca-file", help="CA certificate file to verify the server")
    e.set_defaults(func=cmd_enroll)
    o = sub.add_parser("once", help="collect and send one report")
    o.add_argument("--full", action="store_true", help="send every section, not a delta")
    o.set_defaults(func=cmd_once)
    r = sub.add_parser("run", help="run as a daemon, reporting every interval")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("show", help="print the report as JSON; no network")
    s.set_defaults(func=cmd_show)
    for sp in (e, o, r, s):
        sp.add_argument("--config", help="configuration file (default: platform location)")
    return p


def main(argv=None) -> int:
    """Entry point of kiemke-agent."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"kiemke-agent: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
