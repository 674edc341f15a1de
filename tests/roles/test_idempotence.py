"""site.yml twice on the same test host: the second run changes nothing."""

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testhost")]


def test_first_run_changed_the_host(provisioned):
    recap = provisioned.first.recap()[provisioned.host.name]
    assert recap["failed"] == 0 and recap["unreachable"] == 0
    assert recap["changed"] > 10


def test_second_run_changes_nothing(provisioned):
    assert provisioned.second.returncode == 0, provisioned.second.explain()
    recap = provisioned.second.recap()[provisioned.host.name]
    assert recap == {"ok": recap["ok"], "changed": 0, "unreachable": 0, "failed": 0}, (
        provisioned.second.explain()
    )
