"""pytest fixtures: a running test host for the session, and the agent's wheelhouse."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testhosts.ansible import build_wheelhouse
from tests.testhosts.host import TestHost, can_run_test_hosts


def require_test_hosts() -> None:
    """Skip when test hosts cannot run here; under CI=true fail instead of skipping."""
    reason = can_run_test_hosts()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the test-host tests, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def testhost() -> Iterator[TestHost]:
    """A Debian 12 test host reachable over SSH, shared by the session, removed at its end."""
    require_test_hosts()
    host = TestHost()
    try:
        host.start()
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the kiemke wheel built from this tree and the wheels it depends on."""
    require_test_hosts()
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))
