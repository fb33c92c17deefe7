"""Background recomputes. Each receives ids, reads the current state and is safe to run twice."""

from .. import jobs
from .investors import recompute_investor
from .recompute import recompute_all, recompute_listing


@jobs.job(queue="matching", timeout=600, retries=2)
def recompute_listing_job(listing_id: int) -> dict:
    """A listing was published, edited, closed or hidden: refresh its matches."""
    return recompute_listing(listing_id)


@jobs.job(queue="matching", timeout=600, retries=2)
def recompute_investor_job(organisation_id: int) -> dict:
    """An investor's profile changed: rank the startups' offerings for it again."""
    return recompute_investor(organisation_id)


@jobs.job(queue="matching", timeout=3600, retries=1)
def recompute_all_job() -> dict:
    return recompute_all()
