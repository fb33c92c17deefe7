"""`flask seed-demo`: a coherent bilingual demo data set, safe to load twice.

Ten firms with needs, twenty startups with offerings that fit their names, five investors, a
staff member and an administrator (`accounts`); the listings (`listings/demo_data`); deals in
every stage between the organisations they concern (`deals`)."""

import click
from flask.cli import with_appcontext

from .accounts import (
    ADMIN_PASSWORD,
    DEMO_PASSWORD,
    DOMAIN,
    FIRMS,
    INVESTORS,
    PENDING,
    REJECTED,
    STAFF_PASSWORD,
    STARTUPS,
    demo_brn,
    demo_details,
    member_slugs,
    seed_accounts,
    seed_organisation_details,
    seed_verifications,
)
from .deals import seed_deals

__all__ = ["ADMIN_PASSWORD", "DEMO_PASSWORD", "DOMAIN", "FIRMS", "INVESTORS", "PENDING",
           "REJECTED", "SEEDERS", "STAFF_PASSWORD", "STARTUPS", "demo_brn", "demo_details",
           "member_slugs", "seed_accounts", "seed_deals", "seed_listings",
           "seed_organisation_details", "seed_verifications"]


def seed_listings() -> int:
    from ..listings.seed import seed_listings as seed

    return seed()


# Features add their own seeders here, in dependency order; each must be idempotent.
SEEDERS = [seed_accounts, seed_verifications, seed_organisation_details, seed_listings,
           seed_deals]


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo data set (organisations, users, listings and deals). Idempotent."""
    from ..extensions import db

    for seeder in SEEDERS:
        count = seeder()
        db.session.commit()
        click.echo(f"{seeder.__name__}: {count} new")
    click.echo("Demo accounts (e-mail / password):")
    click.echo(f"  any demo firm, startup or investor, e.g. hanbit{DOMAIN} / {DEMO_PASSWORD}")
    click.echo(f"  startup: visionmarket{DOMAIN} / {DEMO_PASSWORD}")
    click.echo(f"  overseas investor: pacificbridge{DOMAIN} / {DEMO_PASSWORD}")
    click.echo(f"  staff: staff{DOMAIN} / {STAFF_PASSWORD}")
    click.echo(f"  admin: admin{DOMAIN} / {ADMIN_PASSWORD}")
