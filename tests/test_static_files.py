"""Static files: pages link only content-hashed names, served compressed and cached a year."""

import re

import pytest

from marketplace import assets
from tests.listings.helpers import make_listing

LINK = re.compile(r'(?:href|src)="([^"]*/static/[^"]*)"')
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js|svg|ico)$")
PACKED = (".css", ".js", ".svg")  # text; an icon of PNG images is packed already


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
                if size > 1024 and link.endswith(PACKED):  # a few bytes are not worth packing
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


def test_the_stylesheet_loads_the_hashed_fonts_and_the_favicon_is_served(app, client):
    page = client.get("/ko/").get_data(as_text=True)
    site_css = re.search(r'href="([^"]*/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    with client.get(site_css) as response:
        css = response.get_data(as_text=True)
    fonts = re.findall(r'url\("\.\./(fonts/tradeon-sans-\w+\.[0-9a-f]{12}\.woff2)"\)', css)
    assert len(fonts) == 2, css[:600]
    for font in fonts:
        with client.get(f"/static/{font}") as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert 50_000 < len(response.data) < 300_000  # cut down to the common syllables
    assert 'rel="icon"' in page
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
