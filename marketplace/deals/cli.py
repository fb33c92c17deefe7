"""`flask deals verify-log [DEAL_ID]` and `flask deals expire`."""

import click
from flask.cli import AppGroup

from ..extensions import db
from . import integrity
from .models import Deal

deals_cli = AppGroup("deals", help="Deals: event log integrity and expiry.")


@deals_cli.command("verify-log")
@click.argument("deal_id", type=int, required=False)
def verify_log_command(deal_id):
    """Check that each deal's event chain is intact (exit status 1 if any is not)."""
    if deal_id is not None and db.session.get(Deal, deal_id) is None:
        raise click.ClickException(f"no deal {deal_id}")
    reports = integrity.verify_all([deal_id] if deal_id is not None else None)
    broken = 0
    for report in reports:
        if report.intact:
            click.echo(f"deal {report.deal_id}: intact ({report.events} events)")
        else:
            broken += 1
            click.echo(f"deal {report.deal_id}: BROKEN ({report.events} events)")
            for problem in report.problems:
                click.echo(f"  - {problem}")
    click.echo(f"{len(reports)} deal(s) checked, {broken} broken")
    if broken:
        raise SystemExit(1)


@deals_cli.command("expire")
def expire_command():
    """Expire idle deals and send reminders now (the periodic job does this hourly)."""
    from .services import expire_stale_deals

    result = expire_stale_deals()
    click.echo(f"expired {result['expired']}, reminded {result['reminded']}")
