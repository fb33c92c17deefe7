"""Contract documents: template folders in `contracts/`, sandboxed HTML, PDF/A-3b with WeasyPrint.

The deal flow calls::

    template = load_template("license")            # or load_template("license", version=1)
    clean = template.validate(variables)           # raises VariablesInvalid naming the fields
    html = render_html(template, variables, lang="bilingual", overrides={...})
    doc = render_pdf(template, variables, lang="ko", contract_no="TTO-2026-0001",
                     contract_version=1, overrides={...}, signatures=[...])
    doc.pdf, doc.sha256, doc.pages
"""

from .errors import (
    DocumentError,
    OverridesInvalid,
    SignaturesInvalid,
    TemplateInvalid,
    TemplateNotFound,
    VariablesInvalid,
)
from .pdf import RenderedContract, render_pdf
from .render import MODES, render_html
from .templates import ContractTemplate, list_templates, load_template

__all__ = [
    "MODES",
    "ContractTemplate",
    "DocumentError",
    "OverridesInvalid",
    "RenderedContract",
    "SignaturesInvalid",
    "TemplateInvalid",
    "TemplateNotFound",
    "VariablesInvalid",
    "list_templates",
    "load_template",
    "render_html",
    "render_pdf",
]
