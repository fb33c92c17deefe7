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


@jobs.job(queue="default", timeout=120, retries=1)
def hold_then_note(recipient: str, hold_file: str) -> str:
    """Wait while `hold_file` exists (at most a minute), then write an e-mail: a test kills the
    worker during the wait."""
    import os
    import time

    deadline = time.monotonic() + 60
    while os.path.exists(hold_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    send_email(recipient, "ran", "the job ran after the hold")
    return "ok"
