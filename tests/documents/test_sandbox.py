"""Templates run in a sandbox, clause edits are literal text; nothing foreign is fetched."""

import shutil

import pytest
from jinja2.exceptions import SecurityError
from weasyprint.urls import FatalURLFetchingError

from marketplace.documents import (
    OverridesInvalid,
    TemplateInvalid,
    load_template,
    render_html,
    render_pdf,
)
from marketplace.documents.pdf import FONTS, ContractURLFetcher, URLRefused
from marketplace.documents.render import environment_for
from marketplace.documents.templates import CONTRACTS_ROOT


@pytest.fixture(scope="module")
def license_template():
    return load_template("license")


def test_clause_override_replaces_one_clause_as_literal_escaped_text(license_template):
    html = render_html(
        license_template,
        license_template.sample(),
        lang="bilingual",
        overrides={
            "sublicensing": {
                "ko": "을은 {{ licensee.name }}의 계열회사에 한하여 재실시권을 허락할 수 있다.\n\n"
                "<script>alert(1)</script>",
                "en": "The Licensee may sublicense only to affiliates of {{ licensee.name }}.",
            }
        },
    )
    assert "을은 {{ licensee.name }}의 계열회사에 한하여" in html
    assert "affiliates of {{ licensee.name }}." in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "제3자에게 재실시권을 허락할 수 있으며" not in html  # the original text is gone


def test_override_of_an_unknown_clause_is_refused(license_template):
    with pytest.raises(OverridesInvalid) as caught:
        render_html(license_template, license_template.sample(), overrides={"bonus": "x"})
    assert "bonus" in caught.value.fields


@pytest.mark.parametrize(
    "trick",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ licensee.__class__.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
    ],
)
def test_expressions_in_overrides_are_never_run(license_template, trick):
    html = render_html(license_template, license_template.sample(), overrides={"purpose": trick})
    assert trick.replace("'", "&#39;") in html


def test_sandbox_refuses_attribute_tricks_in_templates(license_template, tmp_path):
    env = environment_for(license_template)
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__ }}").render()
    with pytest.raises(SecurityError):
        env.from_string("{{ x.append(1) }}").render(x=[])  # immutable sandbox

    folder = tmp_path / "mou"
    shutil.copytree(CONTRACTS_ROOT / "mou", folder)
    ko = (folder / "ko.html").read_text(encoding="utf-8")
    (folder / "ko.html").write_text(
        ko.replace("{% block preamble %}", "{% block preamble %}{{ party_a.__class__ }}")
    )
    template = load_template("mou", roots=[tmp_path])
    with pytest.raises(TemplateInvalid) as caught:
        render_html(template, template.sample(), lang="ko")
    assert isinstance(caught.value.__cause__, SecurityError)


def test_variable_values_are_escaped(license_template):
    variables = license_template.sample()
    variables["territory"] = '<img src="http://example.com/x.png">대한민국'
    html = render_html(license_template, variables, lang="ko")
    assert "<img" not in html and "&lt;img" in html


class TestURLFetcher:
    @pytest.fixture
    def fetcher(self, license_template):
        return ContractURLFetcher(license_template.path)

    def test_serves_the_template_stylesheet_and_the_fonts(self, fetcher, license_template):
        css = fetcher.fetch((license_template.path / "style.css").as_uri())
        assert css.content_type == "text/css"
        font = next(iter(FONTS.values()))
        assert fetcher.fetch(font.as_uri()).read(4) == b"\x00\x01\x00\x00"

    @pytest.mark.parametrize(
        "url",
        [
            "file:///etc/passwd",
            "http://example.com/style.css",
            "https://example.com/font.ttf",
            "ftp://example.com/x",
            "data:text/css,body{}",
            "file://other-host/etc/passwd",
        ],
    )
    def test_refuses_everything_else(self, fetcher, url):
        with pytest.raises(URLRefused):
            fetcher.fetch(url)

    def test_refuses_files_outside_the_template_folder(self, fetcher, license_template):
        sibling = license_template.path / ".." / "nda" / "ko.html"
        with pytest.raises(URLRefused):
            fetcher.fetch(sibling.as_uri())
        with pytest.raises(URLRefused):
            fetcher.fetch((license_template.path.parent / "_base" / "base.css").as_uri())
        other_font = FONTS[("Contract Sans", 400)].parent / "NanumMyeongjo.ttf"
        with pytest.raises(URLRefused):
            fetcher.fetch(other_font.as_uri())

    def test_refuses_a_symlink_out_of_the_folder(self, tmp_path):
        (tmp_path / "leak.css").symlink_to("/etc/passwd")
        fetcher = ContractURLFetcher(tmp_path)
        with pytest.raises(URLRefused):
            fetcher.fetch((tmp_path / "leak.css").as_uri())

    def test_a_template_asking_for_a_remote_resource_fails_to_render(self, tmp_path):
        folder = tmp_path / "mou"
        shutil.copytree(CONTRACTS_ROOT / "mou", folder)
        with (folder / "style.css").open("a", encoding="utf-8") as css:
            css.write('\n.type-mou { background: url("http://example.com/track.png"); }\n')
        template = load_template("mou", roots=[tmp_path])
        with pytest.raises(TemplateInvalid) as caught:
            render_pdf(template, template.sample(), lang="ko")
        assert isinstance(caught.value.__cause__, FatalURLFetchingError)
        assert "example.com" in str(caught.value)
