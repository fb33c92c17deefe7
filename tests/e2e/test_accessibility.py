"""axe-core over the main pages in Korean and English: no serious or critical violation. Then a
phone (390 × 844): the navigation is folded behind its button and the first search result is on
the first screen.

`PAGES` is the list to extend when a page is added: (name, who signs in, path after the
language); every path must be a route of the app.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.exceptions import MethodNotAllowed, NotFound

from marketplace.extensions import db
from tests.agreements.conftest import agree, ready_draft
from tests.deals.conftest import parties  # noqa: F401 (the fixture)
from tests.e2e.test_deal_journey import sign_in

BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}

# (name, who: None | "buyer" | "staff", path after /<lang>); {deal}, {offering} are filled in.
PAGES = [
    ("home", None, "/"),
    ("needs", None, "/needs"),
    ("offerings", None, "/offerings"),
    ("listing", None, "/offerings/{offering}"),
    ("login", None, "/login"),
    ("register", None, "/register"),
    ("notifications", "buyer", "/notifications/"),
    ("deals", "buyer", "/deals/"),
    ("deal", "buyer", "/deals/{deal}"),
    ("contract", "buyer", "/deals/{deal}/contract"),
    ("payments", "buyer", "/payments/deals/{deal}"),
    ("profile", "buyer", "/profile"),
    ("my listings", "buyer", "/my/listings"),
    ("desk", "buyer", "/desk/"),
    ("saved searches", "buyer", "/saved-searches"),
    ("bookmarks", "buyer", "/bookmarks"),
    ("introductions", "buyer", "/introductions/"),
    ("need", None, "/needs/{need}"),
    ("staff console", "staff", "/staff/"),
    ("translation queue", "staff", "/staff/translations"),
    ("contract reviews", "staff", "/staff/contract-reviews"),
]


def _route_exists(app, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except MethodNotAllowed:
        return True
    except NotFound:
        return False
    return True


@pytest.fixture
def site(app, parties):  # noqa: F811
    """A deal of the buyer on the seller's offering, agreed and in contract drafting."""
    with app.test_request_context():
        deal = agree(parties)
        db.session.commit()
        ready_draft(deal, parties)
        ids = {"deal": deal.id, "offering": parties["offering_id"],
               "need": parties["need_id"]}
    return parties, ids


def _table(rows: list[tuple[str, str, str]], langs: list[str]) -> str:
    width = max(len(name) for name, _, _ in rows) + 2
    lines = [f"{'page'.ljust(width)}" + "".join(f"{lang:<34}" for lang in langs)]
    by_page: dict[str, dict[str, str]] = {}
    for name, lang, cell in rows:
        by_page.setdefault(name, {})[lang] = cell
    for name, cells in by_page.items():
        lines.append(name.ljust(width) + "".join(f"{cells.get(lang, ''):<34}" for lang in langs))
    return "\n".join(lines)


def _cell(violations: list[dict]) -> str:
    if not violations:
        return "0"
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    others = len(violations) - len(blocking)
    text = ", ".join(f"{v['id']} ({v['impact']})" for v in blocking) or "0 serious"
    return text + (f" +{others} minor" if others else "")


def test_main_pages_have_no_serious_accessibility_violations(app, live_server, browser, site,
                                                             capsys):
    people, ids = site
    axe = Axe()
    rows, failures = [], []
    langs = ["ko", "en"]
    for lang in langs:
        pages = {}
        for who in (None, "buyer", "staff"):
            context = browser.new_context(locale=f"{lang}-KR")
            page = context.new_page()
            page.set_default_timeout(30_000)
            if who:
                sign_in(page, live_server, lang, people[who])
            pages[who] = page
        for name, who, path in PAGES:
            path = path.format(**ids)
            assert _route_exists(app, f"/{lang}{path}"), path
            page = pages[who]
            response = page.goto(f"{live_server}/{lang}{path}")
            assert response.status == 200, (lang, name, response.status)
            violations = axe.run(page).response["violations"]
            rows.append((name, lang, _cell(violations)))
            for v in violations:
                if v["impact"] in BLOCKING:
                    targets = [n["target"] for n in v["nodes"]][:5]
                    failures.append(f"{lang} {name}: {v['id']} ({v['impact']}) "
                                    f"{v['help']} at {targets}")
        for page in pages.values():
            page.context.close()
    table = _table(rows, langs)
    with capsys.disabled():
        print("\n\naxe-core: serious and critical violations per page\n" + table + "\n")
    assert len(rows) >= 24, table
    assert not failures, "\n".join(failures)


def _screenshot_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("path", ["/ko/needs", "/ko/offerings"])
def test_a_phone_sees_a_result_on_the_first_screen_under_a_folded_menu(
        live_server, browser, site, tmp_path, path):
    context = browser.new_context(viewport=PHONE, locale="ko-KR")
    page = context.new_page()
    page.goto(f"{live_server}{path}")
    page.screenshot(path=str(_screenshot_dir(tmp_path) / f"phone{path.replace('/', '-')}.png"))

    # the menu is folded behind its button, and the button opens it
    toggler = page.locator("button.navbar-toggler")
    assert toggler.is_visible()
    assert toggler.get_attribute("aria-expanded") == "false"
    assert not page.locator("#site-nav").is_visible()
    assert not page.locator("#browse-filters").is_visible()  # the filters too
    first = page.locator("main article.listing-card").first
    box = first.bounding_box()
    assert box is not None and box["y"] < PHONE["height"], box
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

    toggler.click()
    page.locator("#site-nav").wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    page.locator("button.filters-toggle").click()
    page.locator("#browse-filters").wait_for(state="visible")
    context.close()


def test_the_deals_list_fits_a_phone(live_server, browser, site):
    people, ids = site
    context = browser.new_context(viewport=PHONE, locale="ko-KR")
    page = context.new_page()
    sign_in(page, live_server, "ko", people["buyer"])
    page.goto(f"{live_server}/ko/deals/")
    row = page.locator(f"[data-deal='{ids['deal']}']")
    box = row.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    # nothing on the page is wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
