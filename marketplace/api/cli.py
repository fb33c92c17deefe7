import click
from flask.cli import AppGroup

from ..accounts.models import User
from ..extensions import db
from .tokens import create_token

api_token_cli = AppGroup("api-token", help="Personal access tokens for the JSON API.")


@api_token_cli.command("create")
@click.argument("email")
@click.option("--name", default="command line", show_default=True)
def create_command(email, name):
    """Create a token for EMAIL and print it once."""
    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    _, secret = create_token(user, name)
    db.session.commit()
    click.echo(secret)
