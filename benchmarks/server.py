"""The project's own server for the HTTP benchmarks: gunicorn with `gunicorn.conf.py` (the
production configuration), on a free local port, and a plain GET against it."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str) -> int:
    """GET `path`; the response's status (the body is read and dropped)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_server(env: dict, workers: int = 2, timeout: float = 120) -> tuple[subprocess.Popen, int]:
    """gunicorn with the production configuration and `workers` workers; returns once `/`
    answers (the workers have warmed up)."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            get(port, "/")
            return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start")
