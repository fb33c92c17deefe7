"""`flask users create`: script accounts for operators."""

import click
from flask.cli import AppGroup

from ..errors import DomainError
from ..extensions import db
from .models import OrgKind, Role, User
from .services import create_account

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default="member",
              show_default=True)
@click.option("--org-kind", type=click.Choice([k.value for k in OrgKind]))
@click.option("--org-name", help="Organisation name (Korean or English).")
@click.option("--country", default="KR", show_default=True)
@click.option("--brn", help="Korean business registration number.")
@click.option("--display-name")
@click.option("--language", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
def create_user_command(email, password, role, org_kind, org_name, country, brn, display_name,
                        language):
    """Create a user (and their organisation). Exits non-zero with the reason on failure."""
    if bool(org_kind) != bool(org_name):
        raise click.UsageError("--org-kind and --org-name go together.")
    name_ko, name_en = (org_name, None) if _looks_korean(org_name or "") else (None, org_name)
    try:
        user = create_account(email=email, password=password, display_name=display_name or "",
                              org_kind=org_kind, org_name_ko=name_ko, org_name_en=name_en,
                              country=country, business_registration_no=brn, role=role,
                              preferred_language=language)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.fields.items())
        raise click.ClickException(
            f"{exc.message}" + (f" ({details})" if details else "")) from None
    click.echo(f"created user {user.id} <{user.email}> role={user.role.value}")


def _looks_korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


@users_cli.command("end-sessions")
@click.argument("email")
def end_sessions_command(email):
    """Sign an account out everywhere: every session and remember cookie stops working."""
    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"no user with the address {email}")
    user.end_all_sessions()
    db.session.commit()
    click.echo(f"ended every session of user {user.id} <{user.email}>")
