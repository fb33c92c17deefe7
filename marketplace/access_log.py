"""Logs without secrets: a password reset link carries its token in the path, and the path
reaches gunicorn's access log (in the request line, and in the referrer of every request the
reset page makes) and the log line of an unhandled error. `redact` replaces such a token with
``[redacted]``; `AccessLogger` (gunicorn's ``logger_class``) applies it to every access-log
field, so no format string can bring one back.
"""

import re

from gunicorn.glogging import Logger

SECRET_IN_PATH = re.compile(r"(/password/reset/)[^/?#\s\"]+")


def redact(text: str) -> str:
    """`text` with the token of any password reset path in it replaced."""
    return SECRET_IN_PATH.sub(r"\1[redacted]", text)


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) and "/password/reset/" in value
                else value for key, value in atoms.items()}
