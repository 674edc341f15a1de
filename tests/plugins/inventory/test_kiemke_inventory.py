"""The kiemke inventory plugin against a real HTTP server on loopback serving the contract."""

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.testhosts.ansible import BIN, REPO, ansible_env

TOKEN = "test-token-123"
INVENTORY = {
    "_meta": {
        "hostvars": {
            "pc-ubnd-01": {"kiemke_host_id": 1, "kiemke_unit": "UBND.VP",
                           "kiemke_role": "workstation", "kiemke_os_family": "debian",
                           "ansible_host": "10.20.0.11"},
            "pc-ubnd-02": {"kiemke_host_id": 2, "kiemke_unit": "UBND.VP",
                           "kiemke_role": "workstation", "kiemke_os_family": "windows",
                           "ansible_host": "10.20.0.12"},
            "srv-stttt-01": {"kiemke_host_id": 3, "kiemke_unit": "STTTT",
                             "kiemke_role": "server", "kiemke_os_family": "debian",
                             "ansible_host": "10.30.0.5"},
        }
    },
    "all": {"children": ["unit_TINH", "os_debian", "os_windows", "role_workstation",
                         "role_server", "policy_fail_av_healthy"]},
    "unit_TINH": {"children": ["unit_UBND", "unit_STTTT"], "vars": {"kiemke_unit_name": "Tỉnh"}},
    "unit_UBND": {"children": ["unit_UBND_VP"]},
    "unit_UBND_VP": {"hosts": ["pc-ubnd-01", "pc-ubnd-02"]},
    "unit_STTTT": {"hosts": ["srv-stttt-01"]},
    "os_debian": {"hosts": ["pc-ubnd-01", "srv-stttt-01"]},
    "os_windows": {"hosts": ["pc-ubnd-02"]},
    "role_workstation": {"hosts": ["pc-ubnd-01", "pc-ubnd-02"]},
    "role_server": {"hosts": ["srv-stttt-01"]},
    "policy_fail_av_healthy": {"hosts": ["pc-ubnd-02"]},
}


class Handler(BaseHTTPRequestHandler):
    """Serve the inventory to a bearer of the token, as the server's endpoint does."""

    body = INVENTORY
    seen: ClassVar[list] = []

    def do_GET(self):
        Handler.seen.append((self.path, self.headers.get("Authorization")))
        if self.path != "/api/v1/ansible/inventory":
            self._send(404, {"error": {"code": "not_found", "message": "no such page"}})
        elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, {"error": {"code": "unauthorized", "message": "invalid API token"}})
        else:
            self._send(200, Handler.body)

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.seen = []
    Handler.body = INVENTORY
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def inventory(tmp_path, url, *args, token=TOKEN, name="prod.kiemke.yml"):
    config = tmp_path / name
    config.write_text("plugin: kiemke\n")
    env = ansible_env()
    env.pop("KIEMKE_TOKEN", None)
    env["KIEMKE_URL"] = url
    if token is not None:
        env["KIEMKE_TOKEN"] = token
    return subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(config), *args],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False,
    )


def plain(value):
    """Unwrap Ansible's marking of values that must never be templated (data from the server)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def test_list_rebuilds_groups_nesting_and_host_variables(server, tmp_path):
    proc = inventory(tmp_path, server, "--list")
    assert proc.returncode == 0, proc.stderr
    data = plain(json.loads(proc.stdout))
    assert Handler.seen == [("/api/v1/ansible/inventory", f"Bearer {TOKEN}")]
    hostvars = data["_meta"]["hostvars"]
    assert hostvars["srv-stttt-01"]["ansible_host"] == "10.30.0.5"
    assert hostvars["pc-ubnd-02"]["kiemke_os_family"] == "windows"
    assert hostvars["pc-ubnd-01"]["kiemke_host_id"] == 1
    assert hostvars["pc-ubnd-01"]["kiemke_unit_name"] == "Tỉnh"  # group vars inherited
    assert set(data["unit_TINH"]["children"]) == {"unit_UBND", "unit_STTTT"}
    assert data["unit_UBND"]["children"] == ["unit_UBND_VP"]
    assert set(data["unit_UBND_VP"]["hosts"]) == {"pc-ubnd-01", "pc-ubnd-02"}
    assert data["policy_fail_av_healthy"]["hosts"] == ["pc-ubnd-02"]
    assert set(data["role_workstation"]["hosts"]) == {"pc-ubnd-01", "pc-ubnd-02"}


def test_graph_shows_the_unit_tree(server, tmp_path):
    proc = inventory(tmp_path, server, "--graph")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "@all:" in lines[0]
    tree = "\n".join(lines)
    assert "  |--@unit_TINH:\n  |  |--@unit_" in tree
    assert "  |  |--@unit_STTTT:\n  |  |  |--srv-stttt-01" in tree
    assert "|  |--@unit_UBND:\n  |  |  |--@unit_UBND_VP:\n  |  |  |  |--pc-ubnd-01" in tree
    assert "|--@policy_fail_av_healthy:\n  |  |--pc-ubnd-02" in tree


def test_host_patterns_use_the_groups(server, tmp_path):
    proc = inventory(tmp_path, server, "--graph", "os_debian")
    assert proc.returncode == 0, proc.stderr
    assert "pc-ubnd-01" in proc.stdout and "srv-stttt-01" in proc.stdout
    assert "pc-ubnd-02" not in proc.stdout


def test_wrong_token_is_reported_with_the_servers_message(server, tmp_path):
    proc = inventory(tmp_path, server, "--list", token="wrong")
    assert proc.returncode != 0
    assert "answered 401: invalid API token" in proc.stderr


def test_missing_token_is_reported(server, tmp_path):
    proc = inventory(tmp_path, server, "--list", token=None)
    assert proc.returncode != 0
    assert "no API token: set KIEMKE_TOKEN" in proc.stderr
    assert Handler.seen == []


def test_unreachable_server_is_reported(tmp_path):
    proc = inventory(tmp_path, "http://127.0.0.1:9", "--list")
    assert proc.returncode != 0
    assert "cannot reach http://127.0.0.1:9/api/v1/ansible/inventory" in proc.stderr


def test_document_breaking_the_contract_is_refused(server, tmp_path):
    Handler.body = {"_meta": {"hostvars": {}}, "role_server": {"hosts": "srv-01"}}
    proc = inventory(tmp_path, server, "--list")
    assert proc.returncode != 0
    assert "group 'role_server': 'hosts' must be a list of names" in proc.stderr


def test_files_not_named_kiemke_yml_are_not_taken(server, tmp_path):
    proc = inventory(tmp_path, server, "--list", name="other.yml")
    assert Handler.seen == []
    assert "pc-ubnd-01" not in proc.stdout
