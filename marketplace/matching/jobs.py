"""Background recomputes. Each receives ids, reads the current state and is safe to run twice."""

from .. import jobs
from . import services


@jobs.job(queue="matching", timeout=600, retries=2)
def recompute_listing_job(listing_id: int) -> dict:
    """A listing was published, edited, closed or hidden: refresh its matches."""
    return services.recompute_listing(listing_id)


@jobs.job(queue="matching", timeout=600, retries=2)
def recompute_investor_job(organisation_id: int) -> dict:
    """An investor's profile changed: rank the startups' offerings for it again."""
    return services.recompute_investor(organisation_id)


@jobs.job(queue="matching", timeout=3600, retries=1)
def recompute_all_job() -> dict:
    return services.recompute_all()
