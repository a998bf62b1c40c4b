"""Folding a draft for matching, keeping the way back to the draft's own characters.

A name can be hidden from a simple search in many ways: a zero-width space inside it ("Gr\u200bace"), a
right-to-left mark, a soft hyphen, HTML tags or entities around it, full-width letters, or a Cyrillic "е" for
a Latin "e". Folding removes or undoes all of these and lower-cases the result; ``origin`` maps every folded
character to the index of the draft character it came from, so a finding is reported on the draft as typed.

Plain ASCII stretches (most of a draft) are copied in one go; only the rest is looked at a character at a
time, so folding a 300-word draft takes tens of microseconds."""

import html
import re
import unicodedata
from dataclasses import dataclass

# Characters that show nothing: zero-width spaces and joiners, word joiner, BOM, soft hyphen, Mongolian vowel
# separator, and the bidirectional controls (marks, embeddings, overrides, isolates).
_HIDDEN = {
    "\u00ad", "\u180e", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u061c", "\u200e", "\u200f",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
}  # fmt: skip

# Letters from other scripts that look like Latin ones (the ones used to dodge filters), and typographic
# punctuation that stands for ASCII.
_LOOKALIKE = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
        "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
        "һ": "h", "ӏ": "l",
        "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
        "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ї": "I", "Ј": "J", "Ѕ": "S",
        # Greek
        "α": "a", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "ν": "v", "ι": "i", "κ": "k", "ϲ": "c",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
        # Punctuation
        "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
        "\u2009": " ", "\u202f": " ", "\u2007": " ",
    }
)  # fmt: skip

# Runs that need a closer look: anything not plain ASCII, an HTML tag, or an HTML entity.
_SPECIAL = re.compile(
    r"[^\x00-\x7f]+|<[A-Za-z/!][^<>]{0,300}>|&(?:#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});"
)


_LOOSE_SPACE = re.compile(r"\s{2,}|[^\S \n]")


@dataclass(frozen=True)
class Folded:
    text: str  # lower-case
    cased: str  # the same characters, case kept (for "is it capitalised?")
    origin: tuple[int, ...]  # origin[i]: the draft index of folded character i; one extra for the end

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The draft's [start, end) for the folded [start, end): up to where the next folded character came
        from, so an HTML entity or a hidden character inside the match is covered whole."""
        return self.origin[start], self.origin[end]


def _fold_char(char: str) -> str:
    if char in _HIDDEN:
        return ""
    char = unicodedata.normalize("NFKC", char).translate(_LOOKALIKE)
    if unicodedata.category(char[:1]) == "Mn":  # a combining mark left on its own
        return ""
    return char


def fold(draft: str) -> Folded:
    cased: list[str] = []
    origin: list[int] = []
    at = 0
    for special in _SPECIAL.finditer(draft):
        start, end = special.span()
        if start > at:
            cased.append(draft[at:start])
            origin.extend(range(at, start))
        run = special.group(0)
        if run[0] == "<":  # a tag: gone, but it separates words ("<b>Ben</b>")
            cased.append(" ")
            origin.append(start)
        elif run[0] == "&":
            out = html.unescape(run)
            if out == run:
                cased.append(run)
                origin.extend(range(start, end))
            else:
                out = "".join(_fold_char(c) for c in out)
                cased.append(out)
                origin.extend([start] * len(out))
        else:
            for offset, char in enumerate(run):
                out = _fold_char(char)
                if out:
                    # Decompose accents for matching ("Zoë" finds "Zoe"), keeping the letters' count.
                    base = "".join(
                        c for c in unicodedata.normalize("NFKD", out) if unicodedata.category(c) != "Mn"
                    )
                    out = base or out
                    cased.append(out)
                    origin.extend([start + offset] * len(out))
        at = end
    if at < len(draft):
        cased.append(draft[at:])
        origin.extend(range(at, len(draft)))
    text = "".join(cased)
    if _LOOSE_SPACE.search(text):  # one space between words, one newline between lines: as names are stored
        kept_text, kept_origin, at = [], [], 0
        for run in _LOOSE_SPACE.finditer(text):
            kept_text.append(text[at : run.start()])
            kept_origin.extend(origin[at : run.start()])
            kept_text.append("\n" if "\n" in run.group(0) else " ")
            kept_origin.append(origin[run.start()])
            at = run.end()
        kept_text.append(text[at:])
        kept_origin.extend(origin[at:])
        text, origin = "".join(kept_text), kept_origin
    lower = text.lower()
    if len(lower) != len(text):  # a rare letter whose lower case is longer ("İ"): keep the lengths equal
        lower = "".join(c.lower()[:1] or c for c in text)
    origin.append(len(draft))
    return Folded(lower, text, tuple(origin))
