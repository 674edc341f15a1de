"""kiemke-server command line: init, run, secret, token, user, unit, db."""

import os
import sys

import click
from sqlalchemy import select

from inventory_server import __version__
from inventory_server.config import load_config
from inventory_server.db import make_engine, make_sessionmaker

EXTRA_COMMANDS: list[str] = [
    "inventory_server.compliance.cli:policy",
    "inventory_server.admin.cli:dashboard",
]
"""More command groups as ``module:attribute`` (click commands); packages add theirs here."""


def _sessions(settings: dict):
    return make_sessionmaker(make_engine(settings["DATABASE_URL"]))


def _fail(message: str) -> None:
    click.echo(f"kiemke-server: {message}", err=True)
    sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="kiemke-server")
@click.pass_context
def cli(ctx):
    """Kiemke inventory server."""
    try:
        ctx.obj = load_config()
    except ValueError as exc:
        _fail(f"configuration error: {exc}")


@cli.command()
@click.option("--admin-user", default="admin", show_default=True, help="first admin's user name")
@click.option(
    "--admin-password",
    envvar="KIEMKE_ADMIN_PASSWORD",
    help="first admin's password (default: generated and printed once)",
)
@click.option("--unit-code", default="TINH", show_default=True, help="code of the root unit")
@click.option("--unit-name", default="Tỉnh", show_default=True, help="name of the root unit")
@click.pass_obj
def init(settings, admin_user, admin_password, unit_code, unit_name):
    """Create or upgrade the database; create the root unit and the first admin."""
    from inventory_server.migrate import upgrade
    from inventory_server.security import new_password
    from inventory_server.units.services import create_unit, root_unit
    from inventory_server.users.services import UserError, create_user

    upgrade(settings["DATABASE_URL"])
    click.echo(f"database ready: {_safe_url(settings['DATABASE_URL'])}")
    with _sessions(settings)() as db:
        if root_unit(db) is None:
            create_unit(db, code=unit_code, name=unit_name)
            click.echo(f"created root unit {unit_code}")
        from inventory_server.models import User

        if db.scalar(select(User).where(User.role == "admin")) is None:
            password = admin_password or new_password()
            try:
                create_user(db, username=admin_user, password=password, role="admin")
            except UserError as exc:
                _fail(str(exc))
            db.commit()
            click.echo(f"created admin user {admin_user!r}")
            if not admin_password:
                click.echo(f"admin password (shown once, store it now): {password}")
        else:
            db.commit()
            click.echo("an admin user exists already")
        _record_packs(db, settings)


def _record_packs(db, settings) -> None:
    """On a new database, record the policy packs in force, as the first report would.

    Otherwise the first report finds the packs "changed" and starts re-evaluating every
    enrolled host in the background.
    """
    from inventory_server.compliance import service
    from inventory_server.models import PolicyPack

    if db.scalar(select(PolicyPack.id).limit(1)) is not None:
        return
    pack_set = service.packs_in_force(service.policy_dir(settings))
    if service.sync_packs(db, pack_set):
        click.echo(f"recorded {len(pack_set.packs)} policy packs")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="worker processes")
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=int,
    help="threads per worker; more than 1 uses gthread workers with keep-alive",
)
@click.option("--access-log/--no-access-log", default=False)
def run(host, port, workers, threads, access_log):
    """Serve the application under gunicorn."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"{host}:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",
        "10",
        "--worker-tmp-dir",
        "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp",  # noqa: S108
        "--name",
        "kiemke-server",
    ]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    import gunicorn

    if gunicorn.version_info >= (27,):
        # One control socket per user would be shared by every server on the machine.
        argv.append("--no-control-socket")
    if access_log:
        argv += ["--access-logfile", "-"]
    argv.append("inventory_server.wsgi:app")
    os.execv(sys.executable, argv)  # noqa: S606 - replace this process with gunicorn


@cli.group()
def secret():
    """Enrollment secrets."""


@secret.command("create")
@click.option("--unit", "unit_code", help="unit code (default: the root unit)")
@click.option("--days", default=30, show_default=True, type=int, help="days until it expires")
@click.option("--label", help="a note on what the secret is for")
@click.pass_obj
def secret_create(settings, unit_code, days, label):
    """Create an enrollment secret; prints it on the last line."""
    from inventory_server.enrollment.services import create_secret
    from inventory_server.units.services import get_by_code, root_unit

    with _sessions(settings)() as db:
        unit = get_by_code(db, unit_code) if unit_code else root_unit(db)
        if unit is None:
            _fail(f"unknown unit {unit_code!r}" if unit_code else "no unit: run init first")
        try:
            value, row = create_secret(db, unit=unit, days=days, label=label)
        except ValueError as exc:
            _fail(str(exc))
        db.commit()
        click.echo(f"enrollment secret for unit {unit.code}, expires {row.expires_at:%Y-%m-%d}:")
        click.echo(value)


@cli.group()
def token():
    """User API tokens."""


@token.command("create")
@click.option("--user", "username", required=True, help="user the token acts as")
@click.option("--name", help="what the token is for")
@click.pass_obj
def token_create(settings, username, name):
    """Create an API token; prints it on the last line."""
    from inventory_server.models import User
    from inventory_server.users.services import create_token

    with _sessions(settings)() as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            _fail(f"unknown user {username!r}")
        value = create_token(db, user=user, name=name)
        db.commit()
        click.echo(f"API token for {username} (shown once):")
        click.echo(value)


@cli.group()
def user():
    """Users."""


@user.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["admin", "it_officer", "security", "auditor"]),
    default="it_officer",
    show_default=True,
)
@click.option("--unit", "unit_code", help="unit code (required for IT officers)")
@click.option("--name", "display_name", help="full name")
@click.option(
    "--password", envvar="KIEMKE_NEW_PASSWORD", help="password (default: generated and printed)"
)
@click.pass_obj
def user_create(settings, username, role, unit_code, display_name, password):
    """Create a user."""
    from inventory_server.security import new_password
    from inventory_server.users.services import UserError, create_user

    generated = password is None
    password = password or new_password()
    with _sessions(settings)() as db:
        try:
            create_user(
                db,
                username=username,
                password=password,
                role=role,
                unit_code=unit_code,
                display_name=display_name,
            )
        except UserError as exc:
            _fail(str(exc))
        db.commit()
    click.echo(f"created user {username!r} ({role})")
    if generated:
        click.echo(f"password (shown once): {password}")


@user.command("list")
@click.pass_obj
def user_list(settings):
    """List users."""
    from inventory_server.models import User

    with _sessions(settings)() as db:
        for u in db.scalars(select(User).order_by(User.username)):
            unit = u.unit.code if u.unit else "-"
            click.echo(f"{u.username}\t{u.role}\t{unit}\t{'active' if u.is_active else 'disabled'}")


@cli.group()
def unit():
    """Org units."""


@unit.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--parent", help="parent unit code")
@click.pass_obj
def unit_create(settings, code, name, parent):
    """Create an org unit."""
    from inventory_server.units.services import UnitError, create_unit

    with _sessions(settings)() as db:
        try:
            create_unit(db, code=code, name=name, parent_code=parent)
        except UnitError as exc:
            _fail(str(exc))
        db.commit()
    click.echo(f"created unit {code}")


@unit.command("list")
@click.pass_obj
def unit_list(settings):
    """List org units as a tree."""
    from inventory_server.models import OrgUnit

    with _sessions(settings)() as db:
        for u in db.scalars(select(OrgUnit).order_by(OrgUnit.path)):
            click.echo(f"{'  ' * u.depth}{u.code}\t{u.name}")


@cli.group()
def host():
    """Hosts: duplicates and merging."""


@host.command("duplicates")
@click.pass_obj
def host_duplicates(settings):
    """List groups of hosts sharing a serial, DMI UUID or physical MAC address."""
    from inventory_server.hosts.services import duplicates
    from inventory_server.models import Host

    with _sessions(settings)() as db:
        groups = duplicates(db)
        for g in groups:
            names = ", ".join(f"{i} ({db.get(Host, i).hostname})" for i in g["host_ids"])
            click.echo(f"{g['reason']}={g['value']}: {names}")
        if not groups:
            click.echo("no duplicates")


@host.command("merge")
@click.argument("keep_id", type=int)
@click.argument("duplicate_id", type=int)
@click.pass_obj
def host_merge(settings, keep_id, duplicate_id):
    """Merge host DUPLICATE_ID into KEEP_ID (history and credentials move)."""
    from inventory_server.hosts.services import MergeError, merge
    from inventory_server.models import Host

    with _sessions(settings)() as db:
        keep, dup = db.get(Host, keep_id), db.get(Host, duplicate_id)
        if keep is None or dup is None:
            _fail(f"no host with id {keep_id if keep is None else duplicate_id}")
        try:
            merge(db, keep=keep, duplicate=dup)
        except MergeError as exc:
            _fail(str(exc))
    click.echo(f"merged host {duplicate_id} into {keep_id}")


@cli.group()
def db():
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_obj
def db_upgrade(settings, revision):
    """Upgrade the schema to REVISION (default head)."""
    from inventory_server.migrate import upgrade

    upgrade(settings["DATABASE_URL"], revision)
    click.echo(f"upgraded to {revision}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def db_downgrade(settings, revision):
    """Downgrade the schema to REVISION (e.g. -1 or base)."""
    from inventory_server.migrate import downgrade

    downgrade(settings["DATABASE_URL"], revision)
    click.echo(f"downgraded to {revision}")


@db.command("current")
@click.pass_obj
def db_current(settings):
    """Print the current schema revision."""
    from inventory_server.migrate import current

    click.echo(current(settings["DATABASE_URL"]) or "none")


def _load_extra() -> None:
    from inventory_server.hooks import resolve

    for spec in EXTRA_COMMANDS:
        cli.add_command(resolve(spec))


def main(argv=None) -> int:
    """Entry point of kiemke-server."""
    _load_extra()
    try:
        cli.main(args=argv, prog_name="kiemke-server", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
