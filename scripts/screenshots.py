"""Screenshots of the main pages, Korean and English, desktop and phone (390 px), into
docs/screenshots/. Run from the project root with the test extras installed (scripts/test
installs them):

    python scripts/screenshots.py            # every page
    python scripts/screenshots.py --only ko  # one language

It makes the app on a fresh SQLite database in a temporary folder, loads the demo data (as
`flask seed-demo` does), walks one demo deal to its contract draft, serves the app on a free
local port and signs in the demo accounts in Debian's Chromium. The PNGs are palette-reduced so
the folder stays small.
"""

import argparse
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DESKTOP_PAGES = ("home", "offerings", "offering", "desk", "notifications", "deal", "contract",
                 "staff")
PHONE_PAGES = ("needs", "desk", "deals", "deal")
MAX_HEIGHT = 1800  # a long page is cut here: the top says what it looks like

FIRM = "hanbit@demo.techtradeon.kr"
STARTUP = "visionmarket@demo.techtradeon.kr"
STAFF = "staff@demo.techtradeon.kr"


def make_app(folder: Path):
    from marketplace import create_app
    from marketplace.documents.seal import make_self_signed
    from marketplace.i18n import catalogs

    catalogs.compile_all()
    cert, key = folder / "seal-cert.pem", folder / "seal-key.pem"
    make_self_signed(cert, key)
    return create_app({
        "SECRET_KEY": "screenshots", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.db'}",
        "REDIS_URL": None, "JOBS_AFTER_RESPONSE": False, "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False, "LOGIN_RATE_LIMIT": "10000 per minute",
        "STATIC_BUILD_DIR": str(folder / "static"),
        **{name: str(folder / name.lower()) for name in (
            "DEAL_ATTACHMENT_DIR", "LISTING_ATTACHMENT_DIR", "PROGRAMME_REPORT_DIR")},
        "CONTRACT_SEAL_CERT": str(cert), "CONTRACT_SEAL_KEY": str(key),
        "CONTRACT_SEAL_PASSPHRASE": None,
    })


def seed(app) -> dict:
    """The demo data and one deal of the demo firm on an offering of the demo startup, agreed
    and in contract drafting. Returns the ids the pages need."""
    import sqlalchemy as sa

    from marketplace import demo, jobs
    from marketplace.accounts.models import User
    from marketplace.agreements import drafting
    from marketplace.deals import services
    from marketplace.extensions import db
    from marketplace.listings.models import Listing, ListingKind, ListingStatus

    with app.test_request_context():
        db.create_all()
        for seeder in demo.SEEDERS:
            seeder()
            db.session.commit()
        firm, startup = User.by_email(FIRM), User.by_email(STARTUP)
        offering = db.session.scalars(sa.select(Listing).where(
            Listing.organisation_id == startup.organisation_id,
            Listing.kind == ListingKind.offering,
            Listing.status == ListingStatus.published).order_by(Listing.id)).first()
        deal = services.open_deal(firm, offering, None, deal_type="license",
                                  message="외관 검사 라인에 라이선스로 도입하고 싶습니다.")
        deal.accept_inquiry(startup)
        deal.propose_terms(startup, None, {
            "currency": "KRW", "upfront_fee": 80_000_000, "royalty_percent": 3,
            "field_of_use": {"ko": "자동차 부품 외관 검사", "en": "Visual inspection of car parts"},
            "territory": {"ko": "대한민국", "en": "Republic of Korea"},
            "exclusivity": "non_exclusive", "term_months": 24})
        deal.accept_terms(firm, 1)
        drafting.start_draft(deal, firm)
        db.session.commit()
        jobs.flush()
        return {"deal": deal.id, "offering": offering.id}


def serve(app) -> str:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def pages(ids: dict) -> list[tuple[str, str | None, str]]:
    """(name, who signs in, path after the language)."""
    deal = ids["deal"]
    return [
        ("home", None, "/"),
        ("needs", None, "/needs"),
        ("offerings", None, "/offerings"),
        ("offering", None, f"/offerings/{ids['offering']}"),
        ("login", None, "/login"),
        ("desk", FIRM, "/desk/"),
        ("notifications", FIRM, "/notifications/"),
        ("deals", FIRM, "/deals/"),
        ("deal", FIRM, f"/deals/{deal}"),
        ("contract", FIRM, f"/deals/{deal}/contract"),
        ("my-listings", STARTUP, "/my/listings"),
        ("staff", STAFF, "/staff/"),
    ]


def sign_in(page, base: str, lang: str, email: str) -> None:
    from marketplace.demo import DEMO_PASSWORD
    from marketplace.demo.accounts import STAFF_PASSWORD

    page.goto(f"{base}/{lang}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(STAFF_PASSWORD if email == STAFF else DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def shrink(path: Path) -> None:
    """A 256-colour palette PNG: a fraction of the size, the same to the eye for a web page."""
    from PIL import Image

    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def shoot(base: str, ids: dict, langs: list[str], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_FLAGS, chromium_path

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                    args=CHROMIUM_FLAGS)
        for lang in langs:
            for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                contexts = {}
                for name, who, path in pages(ids):
                    if name not in (PHONE_PAGES if device == "phone" else DESKTOP_PAGES):
                        continue
                    if who not in contexts:
                        context = browser.new_context(viewport=viewport, locale=f"{lang}-KR",
                                                      device_scale_factor=1)
                        page = context.new_page()
                        if who:
                            sign_in(page, base, lang, who)
                        contexts[who] = page
                    page = contexts[who]
                    page.goto(f"{base}/{lang}{path}")
                    page.wait_for_load_state("networkidle")
                    target = out / f"{lang}-{device}-{name}.png"
                    if device == "desktop":
                        height = min(MAX_HEIGHT, page.evaluate("document.body.scrollHeight"))
                        page.screenshot(path=str(target), full_page=True, clip={
                            "x": 0, "y": 0, "width": viewport["width"], "height": height})
                    else:
                        page.screenshot(path=str(target))
                    shrink(target)
                    written.append(target)
                for page in contexts.values():
                    page.context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["ko", "en"], help="one language only")
    parser.add_argument("--out", default=str(OUT), help="folder for the PNGs")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="tto-screens-"))
    try:
        app = make_app(folder)
        ids = seed(app)
        base = serve(app)
        for path in shoot(base, ids, [args.only] if args.only else ["ko", "en"], out):
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
                  f"{path.stat().st_size // 1024} KB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
