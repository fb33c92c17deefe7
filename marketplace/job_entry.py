"""What RQ runs for every job: the job runner inside an app context.

`flask jobs worker` runs jobs inside the app context its command pushed; an RQ worker started any
other way has none, and gets one here from the app factory. RQ finds this function by its name
(`jobs.ENTRY`), so the job machinery in the shared layer never imports the application.
"""

from flask import has_app_context

from . import create_app, jobs


def run(name: str, args: list, kwargs: dict, raise_errors: bool = True):
    """Run the job `name` (see `jobs.execute`), in an app context."""
    if has_app_context():
        return jobs.execute(name, args, kwargs, raise_errors)
    with create_app().app_context():
        return jobs.execute(name, args, kwargs, raise_errors)
