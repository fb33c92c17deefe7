"""`flask translate update|compile`: keep the per-package catalogs in step with the code."""

import click
from flask.cli import AppGroup

from . import catalogs

translate_cli = AppGroup("translate", help="Extract, update and compile translations.")


@translate_cli.command("update")
@click.argument("packages", nargs=-1)
def update_command(packages):
    """Extract messages and merge them into each package's ko/en catalogs."""
    for package in packages or catalogs.PACKAGES:
        if packages or catalogs.translations_dir(package).is_dir():
            catalogs.update(package)
            click.echo(f"updated {package}")


@translate_cli.command("compile")
def compile_command():
    """Compile every catalog to .mo files."""
    for path in catalogs.compile_all():
        click.echo(f"compiled {path}")
