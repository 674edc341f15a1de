"""kiemke-server verbs that scripts rely on: init, secret create, token create, user, unit."""

import os
import subprocess

from tests.conftest import VENV_BIN


def run(url, tmp_path, *args, env=None):
    """Run kiemke-server with a database URL."""
    e = dict(os.environ, KIEMKE_DATABASE_URL=url, KIEMKE_DATA_DIR=str(tmp_path), **(env or {}))
    return subprocess.run([os.path.join(VENV_BIN, "kiemke-server"), *args], capture_output=True,
                          text=True, env=e, timeout=120, check=False)


def test_init_secret_token_user_unit(tmp_path):
    url = f"sqlite:///{tmp_path}/k.db"
    first = run(url, tmp_path, "init")
    assert first.returncode == 0, first.stderr
    assert "admin password (shown once" in first.stdout
    again = run(url, tmp_path, "init")
    assert again.returncode == 0 and "password" not in again.stdout.split("exists")[-1]
    assert run(url, tmp_path, "unit", "create", "SO-YT", "Sở Y tế", "--parent", "TINH"
               ).returncode == 0
    secret = run(url, tmp_path, "secret", "create", "--unit", "SO-YT")
    assert secret.returncode == 0
    assert secret.stdout.strip().splitlines()[-1].startswith("kme_")
    token = run(url, tmp_path, "token", "create", "--user", "admin")
    assert token.stdout.strip().splitlines()[-1].startswith("kmu_")
    units = run(url, tmp_path, "unit", "list").stdout
    assert "  SO-YT\tSở Y tế" in units
    made = run(url, tmp_path, "user", "create", "cb", "--role", "it_officer", "--unit", "SO-YT")
    assert made.returncode == 0 and "password (shown once)" in made.stdout


def test_clear_errors(tmp_path):
    url = f"sqlite:///{tmp_path}/k.db"
    run(url, tmp_path, "init")
    bad = run(url, tmp_path, "secret", "create", "--unit", "NOPE")
    assert bad.returncode == 1 and "unknown unit 'NOPE'" in bad.stderr
    bad = run(url, tmp_path, "token", "create", "--user", "ghost")
    assert bad.returncode == 1 and "unknown user 'ghost'" in bad.stderr
    bad = run(url, tmp_path, "user", "create", "x", "--role", "it_officer")
    assert bad.returncode == 1 and "needs a unit" in bad.stderr
    bad = run(url, tmp_path, "unit", "create", "TINH", "again")
    assert bad.returncode == 1 and "already exists" in bad.stderr
    bad = run(url, tmp_path, "secret", "create", "--days", "0")
    assert bad.returncode == 1 and "days" in bad.stderr
