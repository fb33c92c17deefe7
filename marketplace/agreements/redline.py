"""Clause text as people edit it, and the redline of an edit against the template's text.

A clause's text is what the contract says, as plain paragraphs: the rendered clause body with
its values filled in, paragraphs and list items separated by a blank line (list items keep the
number the renderer writes into them: ① in Korean, 1. in English; 가. and 1. one level down).
That is what the clause editor starts from, and what an edit is compared with. An edit replaces
the whole clause body (the renderer's ``overrides``).
"""

from __future__ import annotations

import difflib
import re
from html.parser import HTMLParser

from markupsafe import Markup, escape

_TOKEN_RE = re.compile(r"\s+|[^\s]+")


class _ClauseParser(HTMLParser):
    """Collect, per ``data-clause`` section, the title, article number and body paragraphs."""

    BLOCKS = {"p", "li", "dt", "dd", "h4", "tr"}

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.clauses: dict[str, dict] = {}
        self.current: dict | None = None
        self.buffer: list[str] = []
        self.in_body = False

    def _flush(self):
        text = re.sub(r"[ \t]+", " ", "".join(self.buffer)).strip()
        text = re.sub(r" *\n *", "\n", text)
        if text and self.current is not None:
            self.current["paragraphs"].append(text)
        self.buffer = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "data-clause" in attrs:
            self.current = {"id": attrs["data-clause"], "title": "", "number": "",
                            "paragraphs": []}
            self.clauses[attrs["data-clause"]] = self.current
            self.in_body = False
        elif self.current is None:
            return
        elif tag == "h3" and "data-number" in attrs:
            self.current["number"] = attrs["data-number"] or ""
            self.current["title"] = attrs.get("data-title") or ""
        elif tag == "div" and "clause-body" in (attrs.get("class") or ""):
            self.in_body = True
        elif not self.in_body:
            return
        elif tag in ("ol", "ul") or tag in self.BLOCKS:
            self._flush()
        elif tag == "br":
            self.buffer.append("\n")
        elif tag in ("td", "th"):
            self.buffer.append(" ")

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if (tag in ("ol", "ul") or tag in self.BLOCKS) and self.in_body:
            self._flush()
        elif tag == "h3":
            self.in_body = True  # the body follows the heading (in a div when it was edited)
        elif tag == "section":
            self._flush()
            self.current = None
            self.in_body = False

    def handle_data(self, data):
        if self.current is None:
            return
        if self.in_body:
            self.buffer.append(data.replace("\n", " "))


def clauses_of(html: str, lang: str) -> dict[str, dict]:
    """``{clause_id: {"id", "number", "title", "text"}}`` in document order from one language's
    rendered contract HTML."""
    parser = _ClauseParser(lang)
    parser.feed(html)
    parser.close()
    return {cid: {"id": cid, "number": c["number"].strip(), "title": c["title"].strip(),
                  "text": "\n\n".join(c["paragraphs"])}
            for cid, c in parser.clauses.items()}


def normalise(text: str | None) -> str:
    """Text as an edit stores it: trimmed lines, at most one blank line between paragraphs."""
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n\s*\n+", "\n\n", text)


def word_diff(before: str, after: str) -> Markup:
    """An HTML redline: unchanged text, <del> for removed words, <ins> for added ones.

    Words are runs of non-space characters (Korean words are spaced, so this reads right in
    both languages); paragraph breaks show as line breaks.
    """
    a, b = _TOKEN_RE.findall(before or ""), _TOKEN_RE.findall(after or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(_html("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{_html(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{_html(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(out))


def _html(text: str) -> str:
    return str(escape(text)).replace("\n", "<br>\n")
