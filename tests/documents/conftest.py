"""Rendering a contract takes 0.1-0.4 s a page, so each PDF is rendered once per session and
shared: every type in bilingual, plus the license in Korean and in English."""

import shutil
import subprocess
from pathlib import Path

import pytest

from marketplace.documents import load_template, render_pdf

CONTRACT_NO = "TTO-2026-0042"
CONTRACT_VERSION = 3
TYPES = ("nda", "license", "transfer", "joint_development", "poc", "supply", "investment", "mou")

requires_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfdetach", "pdfinfo")),
    reason="poppler-utils not installed",
)


class RenderCache:
    def __init__(self, folder: Path):
        self.folder = folder
        self._docs = {}

    def get(self, key: str, lang: str):
        if (key, lang) not in self._docs:
            template = load_template(key)
            doc = render_pdf(
                template,
                template.sample(),
                lang=lang,
                contract_no=CONTRACT_NO,
                contract_version=CONTRACT_VERSION,
            )
            path = self.folder / f"{key}-{lang}.pdf"
            path.write_bytes(doc.pdf)
            self._docs[key, lang] = (doc, path)
        return self._docs[key, lang]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    return RenderCache(tmp_path_factory.mktemp("contracts"))


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_text(path: Path) -> str:
    """Text of the PDF with all runs of whitespace collapsed (lines wrap anywhere).

    Side-by-side columns come out interleaved line by line, so the left and the right half of
    each A4 page (595 x 842 pt) are also read on their own and appended.
    """
    whole = run("pdftotext", "-enc", "UTF-8", str(path), "-")
    halves = [
        run(
            "pdftotext",
            "-enc",
            "UTF-8",
            "-x",
            x,
            "-y",
            "0",
            "-W",
            "298",
            "-H",
            "842",
            str(path),
            "-",
        )
        for x in ("0", "298")
    ]
    return " | ".join(" ".join(text.split()) for text in (whole, *halves))


def pdf_pages(path: Path) -> list[str]:
    pages = run("pdftotext", "-enc", "UTF-8", str(path), "-").split("\f")
    return [" ".join(page.split()) for page in pages if page.strip()]
