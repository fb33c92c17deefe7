"""Errors raised while loading, validating or rendering a contract document.

They carry the same shape as the API's error body (`code`, `message`, `fields`) so a caller can
turn them into `{"error": {...}}` without knowing the details. Messages are for staff and
developers (the deal flow builds the variables from validated Terms, so a bad variable here is a
programming or template mistake, not a user's typo); they name every offending variable.
"""


class DocumentError(Exception):
    status = 400
    code = "document_invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        self.message = message
        self.fields = dict(fields or {})
        super().__init__(self._describe())

    def _describe(self) -> str:
        if not self.fields:
            return self.message
        details = "; ".join(f"{name}: {why}" for name, why in sorted(self.fields.items()))
        return f"{self.message} ({details})"


class TemplateNotFound(DocumentError):
    status = 404
    code = "template_not_found"


class TemplateInvalid(DocumentError):
    """The template folder itself is broken (bad metadata, missing file, unknown clause)."""

    status = 500
    code = "template_invalid"


class VariablesInvalid(DocumentError):
    """Variables are missing, unknown or of the wrong type; `fields` maps each name to why."""

    code = "variables_invalid"


class OverridesInvalid(DocumentError):
    """A clause override names a clause the template does not have, or is not text."""

    code = "overrides_invalid"


class SignaturesInvalid(DocumentError):
    code = "signatures_invalid"
