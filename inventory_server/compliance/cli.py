"""``kiemke-server policy``: check a pack file against stored hosts, list packs, re-evaluate,
recount."""

import sys

import click

from inventory_server.compliance import loader, service
from inventory_server.db import make_engine, make_sessionmaker

SHOW_HOSTS = 20
"""Failing hosts named per check by ``policy check`` (the rest are counted)."""


@click.group()
def policy():
    """Compliance policy packs."""


def _sessions(settings: dict):
    return make_sessionmaker(make_engine(settings["DATABASE_URL"]))


@policy.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--all-hosts", is_flag=True, help="name every failing host, not the first 20")
@click.pass_obj
def check(settings, file, all_hosts):
    """Validate pack FILE and say which stored hosts would fail each check (nothing is saved)."""
    try:
        pack = loader.load_pack_file(file)
    except loader.PackLoadError as exc:
        for err in exc.errors:
            click.echo(f"error: {err}", err=True)
        click.echo(f"{file}: refused ({len(exc.errors)} problem(s))", err=True)
        sys.exit(1)
    click.echo(f"{file}: pack {pack.id} version {pack.version}, {len(pack.checks)} checks: valid")
    with _sessions(settings)() as db:
        outcome = service.would_fail(db, pack)
    click.echo(f"evaluated on {outcome['hosts']} hosts")
    for c in pack.checks:
        by_status = outcome["checks"].get(c.id, {})
        counts = ", ".join(f"{s} {len(by_status.get(s, []))}" for s in service.evaluator.STATUSES)
        click.echo(f"  {c.id} [{c.severity}]: {counts}")
        failing = sorted(by_status.get("fail", []))
        shown = failing if all_hosts else failing[:SHOW_HOSTS]
        for name in shown:
            click.echo(f"    fail: {name}")
        if len(failing) > len(shown):
            click.echo(f"    ... and {len(failing) - len(shown)} more")


@policy.command("list")
@click.pass_obj
def list_packs(settings):
    """List the packs in force and any pack file refused."""
    pack_set = service.packs_in_force(service.policy_dir(settings))
    for p in pack_set.packs.values():
        click.echo(f"{p.id}\tv{p.version}\t{len(p.checks)} checks\t{p.source}")
    for err in pack_set.errors:
        click.echo(f"refused: {err}", err=True)
    if pack_set.errors:
        sys.exit(1)


@policy.command("reevaluate")
@click.pass_obj
def reevaluate(settings):
    """Record the packs in force and re-evaluate every host now, printing progress."""
    pack_set = service.packs_in_force(service.policy_dir(settings))
    sessions = _sessions(settings)
    with sessions() as db:
        service.sync_packs(db, pack_set)
        job_id = service.create_job(db, "kiemke-server policy reevaluate").id

    def progress(done: int, total: int) -> None:
        click.echo(f"re-evaluated {done}/{total} hosts")

    service.run_job(sessions, job_id, pack_set, progress=progress)
    with sessions() as db:
        job = db.get(service.ComplianceJob, job_id)
        click.echo(f"job {job.id}: {job.status} ({job.done}/{job.total})")
        if job.status != "done":
            click.echo(job.message or "", err=True)
            sys.exit(1)


@policy.command("recount")
@click.pass_obj
def recount(settings):
    """Count every host's results by status again (repair, after editing results by hand)."""
    sessions = _sessions(settings)

    def progress(done: int, total: int) -> None:
        click.echo(f"recounted {done}/{total} hosts")

    with sessions() as db:
        total = service.recount_all(db, progress)
    if not total:
        click.echo("no host has compliance results")
