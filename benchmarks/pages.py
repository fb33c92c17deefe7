"""Page throughput under the project's own server, as ratios to its trivial endpoint.

Run: .venv/bin/python benchmarks/pages.py [--seconds 5] [--rounds 2] [--clients 4]

Loads the demo data into a fresh SQLite database, starts gunicorn with `gunicorn.conf.py` and
2 workers, warms every page in both workers, then measures requests/s of the trivial language
redirect `/` beside the home page, the browse pages and a listing page, in the same run: the
pages take turns, round after round, and each page's best round counts, so a noisy second hurts
every page alike. Prints requests/s, p50 latency and each page's ratio to `/`.
Goals: browse pages >= 0.35x, listing page >= 0.5x.

Visitors who are not signed in (as here) are served kept pages (`PAGE_CACHE_SIZE`); a second
server with the same configuration but `PAGE_CACHE_SIZE=0` runs beside it, and its browse and
listing pages ("rendered") take their turns in the same rounds: what a signed-in user's page
costs to render. Then, after a few searches, it prints the proportional set size (PSS) of the
first server's master and workers (goal: <= 900 MB together).

Load comes from `hey` when it is installed (`apt-get install hey`), else from Python threads
(which take more of the machine's CPU from the server, so ratios read lower).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.server import BIN, ROOT, get, start_server  # noqa: E402

GOALS = {"browse": 0.35, "listing": 0.5}
SEARCHES = ["/ko/offerings?q=%EB%B0%B0%ED%84%B0%EB%A6%AC", "/en/needs?q=inspection",
            "/ko/needs?q=%EB%AF%B8%EC%84%B8%EB%A8%BC%EC%A7%80&sector=environment"]


def prepare(folder: Path) -> dict:
    """A demo database in `folder`; returns the environment that serves it."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{folder / 'pages.db'}",
               SECRET_KEY="bench-secret", REDIS_URL="", SESSION_COOKIE_SECURE="0",
               STATIC_BUILD_DIR=str(folder / "static"), PATH=f"{BIN}:{os.environ['PATH']}")
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return env


def listing_paths(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "pages.db") as conn:
        rows = conn.execute("SELECT id, kind FROM listings WHERE status = 'published' "
                            "ORDER BY id LIMIT 40").fetchall()
    offering = next(i for i, kind in rows if kind == "offering")
    need = next(i for i, kind in rows if kind == "need")
    return [f"/ko/offerings/{offering}", f"/en/needs/{need}"]


def memory_mb(pid: int) -> tuple[float, float]:
    """(PSS, private) MB: the proportional set size counts each shared page once across the
    processes sharing it; the private pages are what one more such process costs."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[name] = int(rest.split()[0]) / 1024
    return fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"]


def server_memory(master: int) -> dict[int, tuple[float, float]]:
    """(PSS, private) MB of the gunicorn master and of each worker."""
    pids = [master] + [int(p) for p in Path(f"/proc/{master}/task/{master}/children")
                       .read_text().split()]
    return {pid: memory_mb(pid) for pid in pids}


def with_hey(port: int, path: str, seconds: float, clients: int) -> tuple[float, float]:
    """(requests/s, p50 seconds) from `hey`, redirects not followed."""
    out = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(clients), "-disable-redirects",
         f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1))
    errors = re.search(r"Status code distribution:\s*\n((?:\s+\[\d+\].*\n)+)", out)
    codes = re.findall(r"\[(\d+)\]", errors.group(1)) if errors else []
    assert set(codes) <= {"200", "302"}, (path, codes)
    return rps, p50


def with_threads(port: int, path: str, seconds: float, clients: int) -> tuple[float, float]:
    """(requests/s, p50 seconds) from `clients` Python threads for `seconds`."""
    timings: list[float] = []
    stop = time.perf_counter() + seconds

    def loop() -> None:
        while (start := time.perf_counter()) < stop:
            assert get(port, path) in (200, 302), path
            timings.append(time.perf_counter() - start)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(timings) / (time.perf_counter() - start), sorted(timings)[len(timings) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    measure = with_hey if shutil.which("hey") else with_threads
    print(f"load: {'hey' if measure is with_hey else 'Python threads (hey not installed)'}, "
          f"{args.clients} clients, {args.seconds:g} s per page and round, {args.rounds} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = prepare(folder)
        pages = {"trivial": ["/"], "home": ["/ko/"],
                 "browse": ["/ko/offerings", "/ko/needs", "/en/offerings"],
                 "listing": listing_paths(folder)}
        process, port = start_server(env, args.workers)
        rendered, rendered_port = start_server(dict(env, PAGE_CACHE_SIZE="0"), args.workers)
        turns = [(kind, path, port) for kind, paths in pages.items() for path in paths] + [
            (f"{kind} rendered", path, rendered_port) for kind in ("browse", "listing")
            for path in pages[kind]]
        try:
            for _kind, path, server in turns:
                for _ in range(2 * args.workers):
                    get(server, path)
            best: dict[tuple[str, str], tuple[float, float]] = {}
            for _ in range(args.rounds):
                for kind, path, server in turns:
                    rps, p50 = measure(server, path, args.seconds, args.clients)
                    if (kind, path) not in best or rps > best[kind, path][0]:
                        best[kind, path] = (rps, p50)
            for query in SEARCHES:  # the searches load what they need in both workers
                for _ in range(2 * args.workers):
                    get(port, query)
            memory = server_memory(process.pid)
        finally:
            for server_process in (process, rendered):
                server_process.terminate()
                server_process.wait(timeout=60)
    trivial = best["trivial", "/"][0]
    print(f"\n{'page':<38}{'req/s':>9}{'p50 ms':>9}{'x trivial':>11}")
    for kind, path, _server in turns:
        rps, p50 = best[kind, path]
        label = f"{path} (rendered)" if kind.endswith("rendered") else path
        print(f"{label:<38}{rps:9.0f}{p50 * 1000:9.1f}{rps / trivial:10.2f}x")
    total = sum(pss for pss, _ in memory.values())
    workers = [value for pid, value in memory.items() if pid != process.pid]
    print(f"\nPSS after warm-up, these pages and {len(SEARCHES)} searches: master "
          f"{memory[process.pid][0]:.0f} MB, workers "
          f"{', '.join(f'{pss:.0f}' for pss, _ in workers)} MB; total {total:.0f} MB "
          f"(goal <= 900 MB: {'met' if total <= 900 else 'NOT met'})")
    print(f"private memory per worker (what one more costs): "
          f"{', '.join(f'{private:.0f}' for _, private in workers)} MB; master "
          f"{memory[process.pid][1]:.0f} MB")
    for kind, goal in GOALS.items():
        worst = min(best[kind, path][0] for path in pages[kind]) / trivial
        print(f"goal {kind} >= {goal}x trivial: {'met' if worst >= goal else 'NOT met'} "
              f"(worst {worst:.2f}x; rendered, as for a signed-in user: "
              f"{min(best[f'{kind} rendered', path][0] for path in pages[kind]) / trivial:.2f}x)")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
