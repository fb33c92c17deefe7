"""The process's one Korean morphological analyser (kiwipiepy).

Kiwi takes a few seconds and ~480 MB to build, so search indexing and matching share one
instance per process, built on first use; calls are serialised because matching tokenises on
a second thread while the model embeds.
"""

import threading
from functools import cache

_lock = threading.Lock()


@cache
def analyser():
    """The shared Kiwi instance (built on the first call)."""
    from kiwipiepy import Kiwi

    return Kiwi()


def tokenize(text: str):
    """kiwipiepy tokens of `text`."""
    with _lock:
        return analyser().tokenize(text)
