"""Jobs used by the job-path tests: they write rows so a test can see they ran."""

from marketplace import jobs
from marketplace.mail.services import send_email


@jobs.job(queue="default", timeout=30, retries=0)
def note(recipient: str) -> str:
    send_email(recipient, "ran", "the job ran")
    return "ok"


@jobs.job(queue="default", timeout=30, retries=0)
def explode() -> None:
    raise RuntimeError("job failed on purpose")
