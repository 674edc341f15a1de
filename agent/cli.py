"""kiemke-agent command line: enroll, once, run, show."""

import argparse
import atexit
import gc
import importlib
import os
import socket
import sys
import time

from agent import __version__
from agent.config import AgentConfig, load_config, save_config
from agent.i18n import _
from agent.state import State

# Transport and sending are imported by the commands that talk to the server, so that
# ``kiemke-agent show`` does not pay for http.client and ssl. The schema and the collectors
# (msgspec) are imported by the commands too, after main() has imported msgspec its own way.


def _import_msgspec() -> None:
    """Import msgspec, without typing_extensions unless something has loaded that already.

    msgspec imports typing_extensions whenever it is installed, and typing_extensions imports
    inspect (with ast, dis and tokenize): about 7 ms of every start. The agent does not depend
    on it, but shared environments have it (the server's dependencies, many Debian packages).
    Without it msgspec uses ``typing``, which is all the agent's schema needs: it has no
    TypedDict with Required/NotRequired, and on Python 3.11 and later typing_extensions'
    get_type_hints with ``include_extras`` (as msgspec calls it) returns typing's result.
    Only the agent's own command line does this; the server imports msgspec as usual.
    """
    if "msgspec" not in sys.modules and "typing_extensions" not in sys.modules:
        sys.modules["typing_extensions"] = None  # type: ignore[assignment]  # its import fails
        try:
            importlib.import_module("msgspec")
        except ImportError:
            pass  # a msgspec that cannot do without it: imported the usual way below
        finally:
            del sys.modules["typing_extensions"]
    importlib.import_module("msgspec")


def _api(cfg: AgentConfig, path: str) -> str:
    return cfg.server_url.rstrip("/") + "/api/v1" + path


def cmd_enroll(args) -> int:
    """Exchange an enrollment secret for this host's token and remember the server."""
    from agent.report import collect
    from agent.schema import AgentInfo, EnrollRequest, encode
    from agent.transport import TransportError, post_json

    cfg = load_config(args.config)
    cfg.server_url = args.server
    if args.role:
        cfg.role = args.role
    if args.ca_file:
        cfg.ca_file = args.ca_file
    if args.pin_sha256:
        cfg.pin_sha256 = args.pin_sha256
    cfg.validate()
    report = collect(role=cfg.role, only={"os_info", "os_cim", "hardware_dmi", "hardware_wmi",
                                          "network"})
    req = EnrollRequest(
        secret=args.secret,
        host=report.host,
        agent=AgentInfo(version=__version__, platform=sys.platform),
    )
    try:
        answer = post_json(
            _api(cfg, "/enroll"), encode(req), ca_file=cfg.ca_file, pin_sha256=cfg.pin_sha256,
            timeout=cfg.timeout_seconds, proxy=cfg.proxy,
        )
    except TransportError as exc:
        print(_("kiemke-agent: enrollment failed: {error}").format(error=exc), file=sys.stderr)
        return 1
    save_config(cfg)
    state = State(cfg.state_dir)
    state.save_token(answer["token"])
    state.data = {"host_id": answer["host_id"], "server_url": cfg.server_url, "runs": 0}
    state.save()
    print(_("enrolled as host {host} in unit {unit}").format(
        host=answer["host_id"], unit=answer.get("unit") or "-"))
    print(_("configuration: {config}; token: {token}").format(
        config=cfg.path, token=state.token_path))
    return 0


def cmd_once(args) -> int:
    """Collect and send one report."""
    from agent.sender import send_report
    from agent.transport import TransportError

    cfg = load_config(args.config)
    state = State(cfg.state_dir)
    try:
        answer = send_report(cfg, state, force_full=args.full)
    except TransportError as exc:
        print(_("kiemke-agent: report failed: {error}").format(error=exc), file=sys.stderr)
        return 1
    sent = ", ".join(answer["sent"]) or _("none (nothing changed)")
    print(_("report accepted for host {host} ({kind}; sections sent: {sections})").format(
        host=answer["host_id"], kind=answer["kind"], sections=sent))
    if answer["errors"]:
        print(_("collectors that failed: {names}").format(names=", ".join(answer["errors"])),
              file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    """Report every interval (with jitter so a province's agents spread out) until stopped."""
    from agent.sender import send_report
    from agent.transport import TransportError

    cfg = load_config(args.config)
    state = State(cfg.state_dir)
    stop = {"now": False}

    def _stop(signum, frame):
        stop["now"] = True

    import signal

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    import random

    rng = random.Random(f"{socket.gethostname()}-{os.getpid()}")  # noqa: S311 - spread only
    delay = rng.uniform(0, cfg.jitter_seconds) if not args.now else 0.0

    def wait(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not stop["now"] and time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    while not stop["now"]:
        wait(delay)
        if stop["now"]:
            break
        try:
            answer = send_report(cfg, state, sleep=wait)
            print(_("report accepted ({kind}: {sections})").format(
                kind=answer["kind"], sections=", ".join(answer["sent"]) or "-"), flush=True)
        except TransportError as exc:
            print(_("report failed: {error}").format(error=exc), file=sys.stderr, flush=True)
        except Exception as exc:  # the daemon outlives any single bad run
            print(_("report failed unexpectedly: {error}").format(
                error=f"{type(exc).__name__}: {exc}"), file=sys.stderr, flush=True)
        delay = cfg.interval_seconds + rng.uniform(-cfg.jitter_seconds, cfg.jitter_seconds)
        delay = max(60.0, delay)
    return 0


def cmd_show(args) -> int:
    """Print the report this agent would send, as JSON, without any network."""
    import msgspec

    from agent.report import collect
    from agent.schema import encode

    try:
        cfg = load_config(args.config)
        role = cfg.role
    except (ValueError, OSError):
        role = ""
    report = collect(role=role)
    sys.stdout.buffer.write(msgspec.json.format(encode(report), indent=2) + b"\n")
    sys.stdout.flush()
    return 0


def _terminal_columns() -> int:
    """Columns of the terminal as shutil.get_terminal_size() finds them, 80 when unknown."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil.

    argparse builds a formatter for every ``add_argument`` (to check the metavar) and, given no
    width, imports shutil for the terminal size; shutil imports bz2, lzma and zlib, a few
    milliseconds of every start of ``kiemke-agent show``.
    """

    def __init__(self, prog, **kwargs):
        if kwargs.get("width") is None:
            kwargs["width"] = _terminal_columns() - 2
        super().__init__(prog, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    from agent.schema import SCHEMA_VERSION

    p = argparse.ArgumentParser(
        prog="kiemke-agent",
        description="Report this machine's hardware, software and security posture to Kiemke.",
        formatter_class=_HelpFormatter,
    )
    p.add_argument("--version", action="version",
                   version=f"kiemke-agent {__version__} (schema {SCHEMA_VERSION})")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, formatter_class=_HelpFormatter)

    e = add("enroll", "enroll with the server using an enrollment secret")
    e.add_argument("--server", required=True, help="server URL, e.g. https://kiemke.example.vn")
    e.add_argument("--secret", required=True, help="enrollment secret from the IT officer")
    e.add_argument("--role", choices=["workstation", "server"], help="role of this machine")
    e.add_argument("--ca-file", help="CA certificate file to verify the server")
    e.add_argument("--pin-sha256", help="SHA-256 of the server certificate (hex) to pin")
    e.set_defaults(func=cmd_enroll)
    o = add("once", "collect and send one report")
    o.add_argument("--full", action="store_true", help="send every section, not a delta")
    o.set_defaults(func=cmd_once)
    r = add("run", "run as a daemon, reporting every interval")
    r.add_argument("--now", action="store_true", help="send the first report without waiting")
    r.set_defaults(func=cmd_run)
    s = add("show", "print the report as JSON; no network")
    s.set_defaults(func=cmd_show)
    for sp in (e, o, r, s):
        sp.add_argument("--config", help="configuration file (default: platform location)")
    return p


def main(argv=None) -> int:
    """Entry point of kiemke-agent."""
    # At exit Python runs the cyclic garbage collector over every object left (about 10 ms
    # after ``show``) only to free memory the process is about to give back; freezing them
    # first skips that pass. Registered here, not at import, so only the agent's own runs do it.
    atexit.register(gc.freeze)
    _import_msgspec()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(_("kiemke-agent: configuration error: {error}").format(error=exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
