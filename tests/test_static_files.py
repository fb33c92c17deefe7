"""Static files: pages link only content-hashed names, served compressed and cached a year."""

import re

import pytest

from marketplace import assets
from tests.listings.helpers import make_listing

LINK = re.compile(r'(?:href|src)="([^"]*/static/[^"]*)"')
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")


@pytest.fixture
def pages(app, make_user):
    startup, firm = make_user("startup"), make_user("firm")
    with app.test_request_context():
        offering, need = make_listing(startup), make_listing(firm)
    return ["/ko/", "/en/", "/ko/offerings", "/en/needs", f"/ko/offerings/{offering}",
            f"/en/needs/{need}", "/ko/login", "/ko/ecosystem"]


def test_every_page_links_hashed_assets_served_compressed_and_immutable(client, pages):
    seen = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        links = LINK.findall(response.get_data(as_text=True))
        assert links, page
        for link in links:
            assert HASHED.search(link), f"{page} links the unhashed {link}"
        seen.update(links)
    assert any("bootstrap.min" in link for link in seen)
    assert any("stats" in link for link in seen)
    for link in seen:
        with client.get(link) as plain:
            assert plain.status_code == 200, link
            assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert "Content-Encoding" not in plain.headers
            size = len(plain.data)
        for encoding in ("br", "gzip"):
            with client.get(link, headers={"Accept-Encoding": encoding}) as packed:
                assert packed.status_code == 200
                assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
                if size > 1024:  # a few bytes are not worth packing
                    assert packed.headers["Content-Encoding"] == encoding, (link, encoding)
                    assert len(packed.data) < size * 0.6


def test_a_changed_file_gets_a_new_name():
    first = assets.hashed_name("css/site.css", b"body { color: red }")
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", first)
    assert assets.hashed_name("css/site.css", b"body { color: blue }") != first
    assert assets.hashed_name("css/site.css", b"body { color: red }") == first


def test_unknown_static_names_are_not_cached_forever(client):
    with client.get("/static/css/site.css") as response:
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", "")
