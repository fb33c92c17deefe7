"""`flask contracts ...`: list the contract types, render a type to a PDF (from its sample or
from a JSON file of variables) and make a self-signed seal for a local run."""

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..config import SEAL_CERT_FILE, SEAL_KEY_FILE
from .errors import DocumentError, VariablesInvalid
from .pdf import render_pdf
from .render import MODES
from .seal import make_self_signed
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


@contracts_cli.command("make-seal")
@click.option("--force", is_flag=True, help="Replace an existing certificate and key.")
def make_seal_command(force):
    """Write a self-signed certificate and key that seal signed contracts.

    They go where CONTRACT_SEAL_CERT and CONTRACT_SEAL_KEY say, else under instance/; an
    existing pair is kept unless --force. PDF readers show such a seal as valid but its
    certificate as not trusted: production configures a certificate from a trusted issuer.
    """
    config = current_app.config
    cert = Path(config.get("CONTRACT_SEAL_CERT") or SEAL_CERT_FILE)
    key = Path(config.get("CONTRACT_SEAL_KEY") or SEAL_KEY_FILE)
    if cert.exists() and key.exists() and not force:
        click.echo(f"{cert}: kept (--force replaces it)")
        return
    try:
        made = make_self_signed(cert, key, passphrase=config.get("CONTRACT_SEAL_PASSPHRASE"))
    except OSError as exc:
        raise click.ClickException(f"cannot write the seal: {exc.strerror}") from exc
    click.echo(f"{cert}: self-signed until {made.not_valid_after_utc:%Y-%m-%d}; key in {key}")
