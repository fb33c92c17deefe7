"""`flask contracts ...`: list the contract types and render a type to a PDF, from its sample
or from a JSON file of variables."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from .errors import DocumentError, VariablesInvalid
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


def read_variables(path: Path) -> dict:
    """The variables in a JSON file; an unreadable file or bad JSON is a named error."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise VariablesInvalid(
            "the data file is not valid JSON",
            {str(path): f"line {exc.lineno}, column {exc.colno}: {exc.msg}"},
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise VariablesInvalid("the data file cannot be read", {str(path): str(exc)}) from exc


def describe(exc: DocumentError) -> str:
    """The error's message, then one line per offending name (`licensor.address: required`)."""
    lines = [exc.message] + [f"  {name}: {why}" for name, why in sorted(exc.fields.items())]
    return "\n".join(lines)


@contracts_cli.command("render")
@click.argument("key")
@click.option("--lang", type=click.Choice(MODES), default="ko", show_default=True)
@click.option("--version", "version", type=int, default=None, help="Template version.")
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON file with the variables (default: the type's sample).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the PDF.",
)
@click.option("--contract-no", default="SAMPLE", show_default=True)
def render_command(key, lang, version, data_file, out, contract_no):
    """Render contract type KEY to a PDF file, from --data or from the type's sample.

    The variables are checked against the type's fields.json first: every missing, unknown or
    wrongly typed one is named by its path (``licensor.address``) and nothing is written.
    """
    try:
        template = load_template(key, version)
        variables = read_variables(data_file) if data_file else template.sample()
        document = render_pdf(template, variables, lang=lang, contract_no=contract_no)
        out.write_bytes(document.pdf)
    except DocumentError as exc:
        raise click.ClickException(describe(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"{out}: {document.pages} pages, sha256 {document.sha256}")
