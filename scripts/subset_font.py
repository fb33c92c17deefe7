"""Make the site's web font: Pretendard (SIL OFL 1.1), cut down to the 2,350 Hangul syllables of
KS X 1001 (the ones in common use), Hangul jamo, Latin and the punctuation the pages print.

    npm pack pretendard && tar xzf pretendard-*.tgz
    python scripts/subset_font.py package/dist/web/static/woff2

Writes marketplace/static/fonts/tradeon-sans-{regular,bold}.woff2 (about 185 KB each). The
licence reserves the name "Pretendard" for the unmodified font, so the cut-down copy is renamed
"TradeOn Sans". Syllables outside the set fall back to the system's Korean font.
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "TradeOn Sans"
OUT = Path(__file__).resolve().parent.parent / "marketplace" / "static" / "fonts"
UNICODES = ("U+0020-007E,U+00A0-00FF,U+2010-2027,U+2030-203A,U+20A9,U+20AC,U+2190-2193,"
            "U+2713,U+3000-3003,U+3008-3011,U+3131-318E,U+FF01-FF5E")


def ks_x_1001_hangul() -> str:
    """The 2,350 precomposed syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8)."""
    chars = []
    for high in range(0xB0, 0xC9):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode("euc-kr"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def make(source: Path, weight: str) -> Path:
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=ks_x_1001_hangul(),
                       unicodes=subset.parse_unicodes(UNICODES))
    subsetter.subset(font)
    style = weight.capitalize()
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (3, 4):
            record.string = f"{FAMILY} {style}"
        elif record.nameID == 6:
            record.string = f"{FAMILY.replace(' ', '')}-{style}"
    target = OUT / f"tradeon-sans-{weight}.woff2"
    font.save(target)
    return target


def main(folder: str) -> None:
    for weight in ("regular", "bold"):
        target = make(Path(folder) / f"Pretendard-{weight.capitalize()}.woff2", weight)
        print(target, target.stat().st_size)


if __name__ == "__main__":
    main(sys.argv[1])
