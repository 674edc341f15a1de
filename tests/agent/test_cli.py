"""The command line: configuration errors and ``show`` (no network)."""

import json
import subprocess
import sys

import msgspec
import pytest

from agent.config import load_config
from agent.schema import Report


def test_config_rejects_bad_values(tmp_path):
    path = tmp_path / "agent.conf"
    path.write_text("[agent]\nretries = 0\n")
    with pytest.raises(ValueError, match="retries"):
        load_config(str(path))
    path.write_text("[agent]\npin_sha256 = nothex\n")
    with pytest.raises(ValueError, match="pin_sha256"):
        load_config(str(path))
    path.write_text("server_url = http://x\n")  # no [agent] header
    with pytest.raises(ValueError, match="not a valid configuration file"):
        load_config(str(path))
    path.write_text("[agent]\ninterval_seconds = soon\n")
    with pytest.raises(ValueError, match="interval_seconds"):
        load_config(str(path))


def test_show_prints_a_valid_report_without_network():
    out = subprocess.run([sys.executable, "-m", "agent", "show", "--config", "/nonexistent"],
                         capture_output=True, timeout=60, check=True)
    report = msgspec.json.decode(out.stdout, type=Report)
    assert report.kind == "full" and set(report.digests) == {
        "os", "hardware", "network", "software", "security"}
    assert json.loads(out.stdout)["host"]["hostname"]


def test_show_does_not_load_the_network_stack():
    code = "import sys; from agent import cli; print('http.client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_show_does_not_import_what_it_does_not_need():
    # Each of these costs milliseconds of every start: inspect and typing_extensions come with
    # msgspec unless the CLI imports it without them, shutil (bz2, lzma) with argparse's help.
    heavy = {"typing_extensions", "inspect", "dataclasses", "shutil", "gzip", "ssl"}
    code = ("import sys; from agent.cli import main; main(['show', '--config', '/nonexistent']); "
            f"print(sorted({heavy!r} & set(sys.modules)), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stderr.strip().splitlines()[-1] == "[]"
    assert msgspec.json.decode(out.stdout, type=Report).kind == "full"


def test_msgspec_still_imports_when_the_cli_was_not_first():
    code = ("import typing_extensions, sys; from agent.cli import _import_msgspec; "
            "_import_msgspec(); print(sys.modules['typing_extensions'] is typing_extensions, "
            "'msgspec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_once_without_enrollment_fails_cleanly(tmp_path):
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[agent]\nstate_dir = {tmp_path / 'state'}\n")
    out = subprocess.run([sys.executable, "-m", "agent", "once", "--config", str(conf)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1 and "not enrolled" in out.stderr


def test_run_daemon_reports_then_stops_on_sigterm(tmp_path):
    import signal
    import time

    from agent.state import State
    from tests.agent.server import Recorder

    with Recorder() as srv:
        state_dir = tmp_path / "state"
        State(str(state_dir)).save_token("daemon-token")
        conf = tmp_path / "agent.conf"
        conf.write_text(f"[agent]\nserver_url = {srv.url}\nstate_dir = {state_dir}\n"
                        "interval_seconds = 60\njitter_seconds = 0\n")
        proc = subprocess.Popen([sys.executable, "-m", "agent", "run", "--now", "--config",
                                 str(conf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            deadline = time.monotonic() + 30
            while not srv.requests and time.monotonic() < deadline:
                time.sleep(0.1)
            assert srv.requests, "the daemon sent no report"
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert "report accepted (full" in out
    assert srv.requests[0]["headers"]["Authorization"] == "Bearer daemon-token"
    assert State(str(state_dir)).data["runs"] == 1
