"""`flask contracts ...`: list the contract types and render a type's sample to a PDF."""

from pathlib import Path

import click
from flask.cli import AppGroup

from .errors import DocumentError
from .pdf import render_pdf
from .render import MODES
from .templates import list_templates, load_template

contracts_cli = AppGroup("contracts", help="Contract templates and their PDFs.")


@contracts_cli.command("list")
def list_command():
    """Show every contract type with its version, title and variables."""
    for template in list_templates():
        click.echo(
            f"{template.key:<18} v{template.version}  {template.title['ko']} / "
            f"{template.title['en']}  ({len(template.fields)} variables, "
            f"{len(template.clause_ids)} clauses)"
        )


@contracts_cli.command("render")
@click.argument("key")
@click.option("--lang", type=click.Choice(MODES), default="ko", show_default=True)
@click.option("--version", "version", type=int, default=None, help="Template version.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the PDF.",
)
@click.option("--contract-no", default="SAMPLE", show_default=True)
def render_command(key, lang, version, out, contract_no):
    """Render the sample data of contract type KEY to a PDF file."""
    try:
        template = load_template(key, version)
        document = render_pdf(template, template.sample(), lang=lang, contract_no=contract_no)
    except DocumentError as exc:
        raise click.ClickException(str(exc)) from exc
    out.write_bytes(document.pdf)
    click.echo(f"{out}: {document.pages} pages, sha256 {document.sha256}")
