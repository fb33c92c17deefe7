"""Contract PDFs are rendered by jobs on the ``documents`` queue (0.2-1 s each, CPU-bound).

Both receive ids and are idempotent: a version already rendered, signed or replaced is left
alone, and the same inputs always give the same bytes and SHA-256.
"""

from .. import jobs
from . import services


@jobs.job(queue="documents", timeout=300, retries=3)
def render_contract(contract_id: int, actor_id: int | None = None) -> str | None:
    """Render an approved contract version, store the PDF and open it for signature."""
    return services.render_approved(contract_id, actor_id)


@jobs.job(queue="documents", timeout=300, retries=3)
def finalise_contract(contract_id: int) -> str | None:
    """Render the signed PDF with its signature certificate and mark the deal signed."""
    return services.finalise(contract_id)
