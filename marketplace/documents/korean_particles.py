"""Korean particles (조사) that agree with the word before them: 은/는, 이/가, 을/를, 과/와, ...

A particle's form depends on how the preceding word is *read*: after a final consonant
(받침) 은, 이, 을, 과, 으로; after a vowel 는, 가, 를, 와, 로; after ㄹ, 으로 becomes 로
(서울로) while the others take their consonant form (서울은). `particle(word, "은/는")` picks
the form; `attach(word, "은/는")` returns the word followed by it.

How a word's last sound is found (`final_sound`):

- trailing spaces, closing quotes, full stops and a trailing parenthetical are skipped: the
  particle agrees with the word before the brackets (``한빛전자(이하 "을"이라 한다)`` → 는);
- Hangul syllables by their final consonant (jongseong);
- numbers by their Korean reading: the last digit (영, 일, 이, 삼, 사, 오, 육, 칠, 팔, 구), or
  the unit their trailing zeros are read as (10 십, 100 백, 1000 천, 만, 억, 조, 경);
  a number with a currency sign is read with the currency's name (₩ 원, $ 달러, € 유로, £
  파운드, ¥ 엔/위안), a percent sign as 퍼센트;
- Latin letters: a word ending in a capital (AI, LG, IoT) is read letter by letter, so
  its last letter's Korean name decides (L 엘 and R 알 end in ㄹ, M 엠 and N 엔 in
  another consonant, every other letter name in a vowel); other words as Korean
  loanwords are written: -l → ㄹ (Global 글로벌); -m, -n, -ng → consonant (Team 팀,
  Solution 솔루션, Holding 홀딩); a silent -e after m/n is read ㅁ/ㄴ (Game 게임,
  Phone 폰), -le after a vowel ㄹ (Mobile 모바일), any other -e a vowel (Apple 애플,
  Cube 큐브); -p, -t, -k, -ck, -c, -b right after a single short vowel become a final
  consonant (Lab 랩, Net 넷, Black 블랙, Logic 로직); everything else ends in a vowel
  (Partner 파트너, Tech 테크, Soft 소프트, Inc 잉크, Works 웍스).

Limits: English spelling does not fix pronunciation, so the Latin rule is a convention, not a
reading (Book 북 and Bit 비트 come out wrong); Hanja and other scripts cannot be read here.
When the last sound cannot be told, both forms are written as Korean documents do: 은(는).
"""

from __future__ import annotations

import enum
import re


class Final(enum.Enum):
    VOWEL = "vowel"
    CONSONANT = "consonant"
    RIEUL = "rieul"  # ㄹ: a consonant, except that 으로 becomes 로


#: Every particle pair (after a consonant, after a vowel). 으로 is the only one that treats ㄹ
#: like a vowel.
PAIRS = (
    ("은", "는"),
    ("이", "가"),
    ("을", "를"),
    ("과", "와"),
    ("으로", "로"),
    ("으로서", "로서"),
    ("으로써", "로써"),
    ("이라", "라"),
    ("이라고", "라고"),
    ("이란", "란"),
    ("이나", "나"),
    ("이며", "며"),
    ("이고", "고"),
    ("이든지", "든지"),
    ("이다", "다"),
    ("아", "야"),
)
_RO = {"으로", "으로서", "으로써"}
_BY_NAME: dict[str, tuple[str, str]] = {}
for _pair in PAIRS:
    for _name in (*_pair, "/".join(_pair), "".join(_pair), f"{_pair[0]}({_pair[1]})"):
        _BY_NAME.setdefault(_name, _pair)

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_JONG_RIEUL = 8  # index of ㄹ among the 28 jongseong (0 = none)
#: Compatibility jamo read by their names: consonants end in a consonant (리을 in ㄹ).
_JAMO_CONSONANTS = "ㄱㄲㄳㄴㄵㄶㄷㄸㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅃㅄㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JAMO_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"

#: Korean reading of each digit: 영 일 이 삼 사 오 육 칠 팔 구.
_DIGITS = {
    "0": Final.CONSONANT,
    "1": Final.RIEUL,
    "2": Final.VOWEL,
    "3": Final.CONSONANT,
    "4": Final.VOWEL,
    "5": Final.VOWEL,
    "6": Final.CONSONANT,
    "7": Final.RIEUL,
    "8": Final.RIEUL,
    "9": Final.VOWEL,
}
#: Trailing zeros of a whole number -> the unit read last: 십 백 천, 만 (4-7), 억 (8-11),
#: 조 (12-15), 경 (16+).
_ZERO_UNITS = [Final.CONSONANT] * 11 + [Final.VOWEL] * 4
#: Currency signs (Babel's Korean formats) -> the currency's Korean name: 원, 달러, 유로, 파운드,
#: 엔/위안.
_CURRENCIES = {"₩": Final.CONSONANT, "$": Final.VOWEL, "€": Final.VOWEL, "£": Final.VOWEL,
               "¥": Final.CONSONANT}
#: Korean letter names: 엘, 알 end in ㄹ; 엠, 엔 in another consonant; the rest in a vowel.
_LETTER_NAMES = {"L": Final.RIEUL, "R": Final.RIEUL, "M": Final.CONSONANT, "N": Final.CONSONANT}

_TRAILING = re.compile(r"[\s\"'”’」』》〉.,;:!?·]+$")
_PARENTHETICAL = re.compile(r"\s*(\([^()]*\)|\[[^\[\]]*\]|（[^（）]*）|㈜)$")
_NUMBER = re.compile(r"(\d[\d,]*)(\.\d+)?$")
_LATIN_WORD = re.compile(r"[A-Za-z]+$")
_SHORT_STOP = re.compile(r"(?:^|[^aeiouy])[aeiou](?:p|t|k|ck|c|b)$")


def final_sound(word: str) -> Final | None:
    """How `word` ends when read aloud in Korean; None when it cannot be told."""
    text = _strip(str(word))
    if not text:
        return None
    last = text[-1]
    if _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        return _hangul(last)
    if last in _JAMO_CONSONANTS:
        return Final.RIEUL if last == "ㄹ" else Final.CONSONANT
    if last in _JAMO_VOWELS:
        return Final.VOWEL
    if last == "%":
        return Final.VOWEL  # 퍼센트
    for sign, sound in _CURRENCIES.items():
        if sign in text and _NUMBER.search(text):
            return sound
    if last.isdigit():
        return _number(_NUMBER.search(text))
    latin = _LATIN_WORD.search(text)
    if latin:
        return _latin(latin.group())
    return None


def particle(word: str, name: str) -> str:
    """The form of the particle `name` ("은/는", "은", "으로", ...) that agrees with `word`."""
    pair = _BY_NAME.get(name)
    if pair is None:
        raise ValueError(f"unknown particle {name!r}")
    consonant, vowel = pair
    sound = final_sound(word)
    if sound is None:
        return f"{consonant}({vowel})"
    if sound is Final.VOWEL or (sound is Final.RIEUL and consonant in _RO):
        return vowel
    return consonant


def attach(word: str, name: str) -> str:
    """`word` followed by the agreeing form of the particle `name`."""
    return f"{word}{particle(word, name)}"


def _strip(text: str) -> str:
    """Drop what does not decide the particle: trailing punctuation and parentheticals."""
    while True:
        shorter = _PARENTHETICAL.sub("", _TRAILING.sub("", text))
        if shorter == text or not shorter:
            return shorter or _TRAILING.sub("", text)
        text = shorter


def _hangul(syllable: str) -> Final:
    jong = (ord(syllable) - _HANGUL_FIRST) % 28
    if jong == 0:
        return Final.VOWEL
    return Final.RIEUL if jong == _JONG_RIEUL else Final.CONSONANT


def _number(match: re.Match) -> Final:
    whole, fraction = match.group(1).replace(",", ""), match.group(2)
    if fraction:
        return _DIGITS[fraction[-1]]
    digits = whole.lstrip("0")
    if not digits:
        return _DIGITS["0"]
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0:
        return _DIGITS[digits[-1]]
    return _ZERO_UNITS[zeros - 1] if zeros <= len(_ZERO_UNITS) else Final.CONSONANT


def _latin(word: str) -> Final:
    if word[-1].isupper():  # AI, LG, IoT, GreenCellAI: read letter by letter
        return _LETTER_NAMES.get(word[-1], Final.VOWEL)
    lower = word.lower()
    if lower.endswith("l") or re.search(r"[aeiouy]le$", lower):
        return Final.RIEUL
    if lower.endswith(("m", "n", "ng", "me", "ne")) or _SHORT_STOP.search(lower):
        return Final.CONSONANT
    return Final.VOWEL
