"""Contract PDF rendering: how long the bilingual license agreement takes, and how much memory.

Run: .venv/bin/python benchmarks/contracts.py [--runs 10] [--key license] [--lang bilingual]

Prints p50/p95 render time over the runs (after one warm-up) beside bare WeasyPrint of the same
HTML and stylesheets in the same run (the machine's reference), renders per minute in one process
(the stand-in for one worker), the page count, and peak memory (max RSS of the process and the
Python-level peak traced during one render).

With ``--jobs N`` it also measures the contract render job end to end, as one worker runs it:
N approved licence contracts in a throw-away SQLite database, each rendered by
``marketplace.jobs.execute`` (job bookkeeping, row lock, render, PDF stored in the database,
deal moved to signing, events and notices written, commit).
"""

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace.documents import load_template, render_html, render_pdf  # noqa: E402


def bare(html: str | None = None, folder=None) -> bytes:
    """`html` (default: a one-line page) through WeasyPrint with nothing reused."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from marketplace.documents.pdf import BASE_DIR, ContractURLFetcher, font_face_css

    folder = folder or BASE_DIR
    fetcher = ContractURLFetcher(folder)
    fonts = FontConfiguration()
    css = [CSS(string=text, base_url=folder.as_uri() + "/", url_fetcher=fetcher,
               font_config=fonts)
           for text in (font_face_css(), (BASE_DIR / "base.css").read_text(encoding="utf-8"))]
    return HTML(string=html or "<p>warm</p>", base_url=folder.as_uri() + "/",
                url_fetcher=fetcher).write_pdf(stylesheets=css, font_config=fonts)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--key", default="license")
    parser.add_argument("--lang", default="bilingual", choices=["ko", "en", "bilingual"])
    parser.add_argument("--jobs", type=int, default=0,
                        help="also time N contract render jobs run inline by one worker")
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

    html = render_html(template, variables, lang=args.lang, contract_no="BENCH-0001")
    bare()  # its own warm-up: WeasyPrint's first layout loads fonts and its user-agent CSS
    bare()

    def bare_render():
        """Bare WeasyPrint on the same HTML and stylesheets: new CSS objects and font
        configuration, a plain PDF (no PDF/A, no attachment); the reference for this machine."""
        return bare(html, template.path)

    times, bare_times = [], []
    for _ in range(args.runs):  # taking turns, so a noisy moment hits both alike
        start = time.perf_counter()
        doc = render()
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare_render()
        bare_times.append(time.perf_counter() - start)
    assert doc.sha256 == warm.sha256, "rendering is not deterministic"

    tracemalloc.start()
    render()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux

    p50, p95 = percentile(times, 0.50), percentile(times, 0.95)
    load = os.getloadavg()
    print(f"machine load      {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min; 2 CPUs)")
    print(f"contract          {args.key} v{template.version}, {args.lang}")
    print(f"pages             {doc.pages}")
    print(f"pdf size          {len(doc.pdf) / 1024:.0f} KiB")
    print(f"first render      {first * 1000:.0f} ms (cold: fonts, templates)")
    print(f"html only         {html_ms:.1f} ms")
    print(f"render p50        {p50 * 1000:.0f} ms")
    print(f"render p95        {p95 * 1000:.0f} ms")
    bare_p50 = percentile(bare_times, 0.50)
    print(f"bare WeasyPrint   {bare_p50 * 1000:.0f} ms p50 (same HTML and CSS, plain PDF) -> "
          f"render/bare {p50 / bare_p50:.2f}x")
    print(f"goal p50 <= 500 ms: {'met' if p50 <= 0.5 else 'NOT met'} ({p50 * 1000:.0f} ms on "
          f"this machine now; bare WeasyPrint {bare_p50 * 1000:.0f} ms)")
    print(f"render mean       {statistics.mean(times) * 1000:.0f} ms over {args.runs} runs")
    print(f"per page (p50)    {p50 / doc.pages * 1000:.0f} ms")
    print(f"renders / minute  {60 / statistics.mean(times):.0f} in one process")
    print(f"peak RSS          {maxrss_kb / 1024:.0f} MiB (whole process)")
    print(f"traced peak       {traced_peak / 1024 / 1024:.1f} MiB (Python allocations, one render)")
    if args.jobs:
        job_times = render_jobs(args.jobs)
        print(f"render job p50    {percentile(job_times, 0.50) * 1000:.0f} ms "
              f"(license, {args.jobs} jobs, inline)")
        print(f"jobs / minute     {60 / statistics.mean(job_times):.0f} with one worker")


def render_jobs(count: int) -> list[float]:
    """Seconds per `render_contract` job, run through `marketplace.jobs` like a worker does."""
    import tempfile

    from marketplace import create_app, jobs
    from marketplace.accounts.models import Organisation, OrgKind, User, Verification
    from marketplace.agreements import drafting, signing
    from marketplace.agreements.jobs import render_contract
    from marketplace.clock import utcnow
    from marketplace.deals import services as deal_services
    from marketplace.extensions import db
    from marketplace.listings.models import Listing, ListingKind, ListingStatus

    details = {"licensor.address": "대전광역시 유성구 대학로 99",
               "licensee.address": "서울특별시 강남구 테헤란로 1",
               "licensor.registration_no": "314-81-12345",
               "licensee.registration_no": "134-81-67890", "payment_days": 30,
               "effective_date": "2026-03-02"}
    terms = {"currency": "KRW", "upfront_fee": 50_000_000, "royalty_percent": 3.5,
             "field_of_use": "EV batteries", "territory": "Korea", "exclusivity": "exclusive",
             "term_months": 36, "sublicensing": True, "improvements_owner": "joint"}
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "REDIS_URL": None,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.test_request_context():
            db.create_all()
            people = []
            for n, kind in enumerate((OrgKind.firm, OrgKind.startup)):
                org = Organisation(kind=kind, name_ko=f"기관{n}", name_en=f"Org {n}",
                                   verification=Verification.verified)
                user = User(email=f"bench{n}@example.com", display_name=f"Bench {n}",
                            organisation=org, password_hash="x")
                db.session.add_all([org, user])
                people.append(user)
            firm, startup = people
            db.session.flush()
            ids = []
            for n in range(count):
                offering = Listing(kind=ListingKind.offering, status=ListingStatus.published,
                                   organisation_id=startup.organisation_id,
                                   title_ko=f"기술 {n}", title_en=f"Technology {n}",
                                   summary_ko="요약", sector="ai", trl=6,
                                   deal_types=["license"], published_at=utcnow())
                db.session.add(offering)
                db.session.flush()
                deal = deal_services.open_deal(firm, offering, deal_type="license",
                                               message="bench")
                deal.accept_inquiry(startup)
                deal.propose_terms(firm, None, terms)
                deal.accept_terms(startup, 1)
                contract = drafting.start_draft(deal, firm)
                drafting.fill_variables(contract, firm, details)
                signing.approve(contract, firm)
                signing.approve(contract, startup)
                db.session.commit()
                db.session.info.pop(jobs.COMMITTED, None)  # run them below, one by one
                ids.append(contract.id)
            name = render_contract.job_spec.name
            jobs.execute(name, [ids[0], firm.id], {})  # warm-up: fonts, templates
            times = []
            for contract_id in ids[1:]:
                start = time.perf_counter()
                jobs.execute(name, [contract_id, firm.id], {})
                times.append(time.perf_counter() - start)
            db.session.remove()
            db.engine.dispose()
    return times or [0.0]


if __name__ == "__main__":
    main()
