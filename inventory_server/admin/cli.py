"""kiemke-server dashboard: refresh the dashboard's snapshot (run it on a schedule)."""

import click


@click.group()
def dashboard():
    """Dashboard figures counted ahead of time."""


@dashboard.command("refresh")
@click.pass_obj
def dashboard_refresh(settings):
    """Recount the software titles of every unit's subtree (schedule it, e.g. hourly)."""
    from sqlalchemy import func, select

    from inventory_server.admin.summaries import refresh_titles
    from inventory_server.db import make_engine, make_sessionmaker
    from inventory_server.models import UnitTitleCount

    engine = make_engine(settings["DATABASE_URL"])
    with make_sessionmaker(engine)() as db:
        row = refresh_titles(db)
        rows = db.scalar(select(func.count()).select_from(UnitTitleCount))
        click.echo(
            f"software titles per unit counted as of {row.computed_at.isoformat()} "
            f"in {row.seconds:.1f} s ({rows} rows)"
        )
    engine.dispose()
