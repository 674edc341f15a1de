"""Put real hosts in units through the real API: a secret per unit, enroll, post a report."""

from agent.schema import EnrollRequest, encode
from tests.inventory_server.reports import body, make_report


def auth(token: str) -> dict:
    """Return the Authorization header of a user or host token."""
    return {"Authorization": f"Bearer {token}"}


def add_host(client, admin_token: str, unit: str, hostname: str, **report_args) -> int:
    """Create a secret for ``unit`` (as admin), enroll a host with it, post a full report."""
    r = client.post(
        "/api/v1/enrollment-secrets", json={"unit": unit, "days": 1}, headers=auth(admin_token)
    )
    assert r.status_code == 201, r.get_json()
    report = make_report(hostname, **report_args)
    req = EnrollRequest(secret=r.get_json()["secret"], host=report.host, agent=report.agent)
    r = client.post("/api/v1/enroll", data=encode(req), content_type="application/json")
    assert r.status_code == 201, r.get_json()
    host_id, token = r.get_json()["host_id"], r.get_json()["token"]
    r = client.post(
        "/api/v1/reports", data=body(report), content_type="application/json", headers=auth(token)
    )
    assert r.status_code == 200, r.get_json()
    return host_id


def two_units(client, seed) -> dict[str, int]:
    """One host in SO-TTTT's office PHONG-HC (AV running), one in SO-TC (AV stopped)."""
    return {
        "hc": add_host(
            client,
            seed.admin_token,
            "PHONG-HC",
            "pc-hanh-chinh",
            machine_id="a" * 32,
            serial="SN-HC-1",
            mac="52:54:00:00:00:01",
            ip="10.1.0.11",
        ),
        "tc": add_host(
            client,
            seed.admin_token,
            "SO-TC",
            "pc-tai-chinh",
            machine_id="b" * 32,
            serial="SN-TC-1",
            mac="52:54:00:00:00:02",
            ip="10.2.0.11",
            av_running=False,
            packages=20,
        ),
    }
