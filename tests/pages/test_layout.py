"""The layout every page shares: navigation by audience, a menu that folds on a phone, the
language of listing text shown in the other language, ids unique on a page."""

import re
from collections import Counter

from tests.conftest import login
from tests.listings.helpers import make_listing

MEMBER_LINKS = ("/deals/", "/my/listings", "/matches")


def _nav(html: str) -> str:
    return html.split('<nav class="navbar', 1)[1].split("</nav>", 1)[0]


def test_visitors_see_only_public_links_and_members_see_theirs(app, client, make_user):
    nav = _nav(client.get("/en/").get_data(as_text=True))
    assert 'href="/en/needs"' in nav and 'href="/en/offerings"' in nav
    for path in MEMBER_LINKS:
        assert f'href="/en{path}' not in nav, path
    assert 'href="/en/login"' in nav

    login(client, make_user(kind="firm"), lang="en")
    nav = _nav(client.get("/en/needs").get_data(as_text=True))
    assert 'href="/en/needs"' in nav and 'href="/en/desk/"' in nav
    assert 'href="/en/deals/"' in nav and 'href="/en/my/listings"' in nav


def test_the_menu_folds_behind_a_labelled_button_and_marks_the_current_page(client):
    nav = _nav(client.get("/ko/offerings").get_data(as_text=True))
    toggler = re.search(r'<button class="navbar-toggler"[^>]*>', nav).group(0)
    assert 'data-bs-target="#site-nav"' in toggler and 'aria-controls="site-nav"' in toggler
    assert 'aria-expanded="false"' in toggler and 'aria-label="메뉴"' in toggler
    assert '<div class="collapse navbar-collapse" id="site-nav">' in nav
    current = re.search(r'<a class="nav-link active" aria-current="page" href="([^"]+)"', nav)
    assert current and current.group(1) == "/ko/offerings"


def test_listing_text_in_the_other_language_carries_its_language(app, client, make_user):
    startup = make_user(kind="startup")
    with app.test_request_context():
        korean_only = make_listing(startup, title_ko="한국어로만 쓴 기술")
    english_page = client.get("/en/offerings").get_data(as_text=True)
    title = re.search(rf'<a href="/en/offerings/{korean_only}"([^>]*)>', english_page)
    assert title and 'lang="ko"' in title.group(1)
    assert re.search(r'<p class="card-text mb-2" lang="ko">', english_page)
    korean_page = client.get("/ko/offerings").get_data(as_text=True)
    title = re.search(rf'<a href="/ko/offerings/{korean_only}"([^>]*)>', korean_page)
    assert title and "lang=" not in title.group(1)

    login(client, startup, lang="en")
    mine = client.get("/en/my/listings").get_data(as_text=True)
    assert re.search(rf'<a href="/en/offerings/{korean_only}" lang="ko">', mine)


def test_ids_are_unique_on_the_owners_listing_page(app, client, make_user):
    startup = make_user(kind="startup")
    with app.test_request_context():
        listing = make_listing(startup)
    login(client, startup)
    html = client.get(f"/ko/offerings/{listing}").get_data(as_text=True)
    assert 'id="attachment-confidential"' in html  # the upload form is there
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []


def test_card_shows_trl_as_nine_segments_and_empty_search_says_what_next(app, client,
                                                                        make_user):
    with app.test_request_context():
        make_listing(make_user(kind="startup"), trl=7)
    html = client.get("/en/offerings").get_data(as_text=True)
    meter = re.search(r'<span class="trl-meter" aria-hidden="true">(.*?)</span>\s*TRL 7',
                      html, re.S)
    assert meter, html[:2000]
    assert meter.group(1).count('class="on"') == 7
    assert meter.group(1).count("<span") == 9
    empty = client.get("/en/offerings?q=zzzzqqq").get_data(as_text=True)
    assert 'class="empty-state"' in empty
    assert "Clear the search and filters" in empty


def test_the_deals_link_reads_as_the_members_own_deals(client, make_user):
    """Not the statistics' "number of deals", which shares the English word."""
    login(client, make_user(kind="firm"), lang="ko")
    nav = _nav(client.get("/ko/needs").get_data(as_text=True))
    assert re.search(r'href="/ko/deals/">내 거래', nav)
