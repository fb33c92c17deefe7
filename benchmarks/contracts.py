"""Contract PDF rendering: how long the bilingual license agreement takes, and how much memory.

Run: .venv/bin/python benchmarks/contracts.py [--runs 10] [--key license] [--lang bilingual]

Prints p50/p95 render time over the runs (after one warm-up), renders per minute in one process
(the stand-in for one worker), the page count, and peak memory (max RSS of the process and the
Python-level peak traced during one render).
"""

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace.documents import load_template, render_html, render_pdf  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--key", default="license")
    parser.add_argument("--lang", default="bilingual", choices=["ko", "en", "bilingual"])
    args = parser.parse_args()

    template = load_template(args.key)
    variables = template.sample()

    def render():
        return render_pdf(template, variables, lang=args.lang, contract_no="BENCH-0001")

    start = time.perf_counter()
    warm = render()
    first = time.perf_counter() - start

    start = time.perf_counter()
    for _ in range(args.runs):
        render_html(template, variables, lang=args.lang, contract_no="BENCH-0001")
    html_ms = (time.perf_counter() - start) / args.runs * 1000

    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        doc = render()
        times.append(time.perf_counter() - start)
    assert doc.sha256 == warm.sha256, "rendering is not deterministic"

    tracemalloc.start()
    render()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux

    p50, p95 = percentile(times, 0.50), percentile(times, 0.95)
    print(f"contract          {args.key} v{template.version}, {args.lang}")
    print(f"pages             {doc.pages}")
    print(f"pdf size          {len(doc.pdf) / 1024:.0f} KiB")
    print(f"first render      {first * 1000:.0f} ms (cold: fonts, templates)")
    print(f"html only         {html_ms:.1f} ms")
    print(f"render p50        {p50 * 1000:.0f} ms")
    print(f"render p95        {p95 * 1000:.0f} ms")
    print(f"render mean       {statistics.mean(times) * 1000:.0f} ms over {args.runs} runs")
    print(f"per page (p50)    {p50 / doc.pages * 1000:.0f} ms")
    print(f"renders / minute  {60 / statistics.mean(times):.0f} in one process")
    print(f"peak RSS          {maxrss_kb / 1024:.0f} MiB (whole process)")
    print(f"traced peak       {traced_peak / 1024 / 1024:.1f} MiB (Python allocations, one render)")


if __name__ == "__main__":
    main()
