"""The process's one Korean morphological analyser (kiwipiepy).

Kiwi takes a few seconds and ~480 MB to build, so search indexing and matching share one
instance per process, built on first use; calls are serialised because matching tokenises on
a second thread while the model embeds.
"""

import threading
import warnings
from functools import cache

_lock = threading.Lock()


@cache
def analyser():
    """The shared Kiwi instance (built on the first call).

    Without a thread pool (`num_workers=0`, which kiwipiepy warns has meant that since 0.21):
    texts are tokenised one at a time anyway, and a pool built before gunicorn forks its
    workers leaves them threads that do not exist, so a worker hung or aborted on exit."""
    from kiwipiepy import Kiwi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Kiwi(num_workers=0)


def tokenize(text: str):
    """kiwipiepy tokens of `text`."""
    with _lock:
        return analyser().tokenize(text)
