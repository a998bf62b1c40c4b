"""Split the plain text of a school's policy document into numbered sections.

No Django here: the input is a ``str`` (see :mod:`.readers` for getting one from an upload) and the output is
a :class:`ParsedDocument` of frozen dataclasses.

Headings that are recognised (one per line; leading and trailing spaces do not matter):

* ``Section 5 - Title``, ``Section 5: Title``, ``SECTION 5 Title``, ``Section 5.2 Title``, ``Section 5``;
* ``Part 3: Title``, ``Part 3 - Title``, ``Part III``;
* ``Appendix A``, ``Appendix A - Title``, ``Annex 1: Title`` (``Annexe`` too);
* ``5. Title`` and ``5 Title`` - the weak styles, see below;
* ``5.2 Title``, ``5.2.1 Title`` (a trailing dot after the number is allowed);
* Markdown ``# 5. Title``, ``## 5.2 Title``, ``# Section 5 - Title``, ``# Appendix A`` (the ``#`` marks a
  heading, so the title needs no further checks). An *unnumbered* Markdown heading (``### Title``) is not a
  section: it stays in the current section's text as a paragraph of its own, without the ``#``. Keeping it
  simple beats inventing numbers the school never wrote.

Guards against mistaking ordinary lines for headings:

* A title must look like a title: at most 90 characters, an upper-case letter in its first word, and no
  sentence ending (``.``, ``,`` or ``;``) - so ``1. Keep passwords secret.`` is a list item, not a section.
* Bullets (``- ...``, ``• ...``) and ``1) ...`` never match.
* ``5. Title``/``5 Title`` must continue the sequence: the first one is 1 (or 2), each next one is the
  previous top-level number plus one (or plus two, so one mangled heading does not swallow the rest of the
  document - a note reports the gap). It is a list item instead when the line before it was a numbered item
  one lower, or the next line is a numbered item one higher. Once the document uses ``Section N`` headings,
  bare ``5. Title`` lines are always list items.
* ``5.2 Title`` must sit under the current top-level number (or start the next one).
* ``Section``/``Part``/``Appendix`` headings are trusted whatever their number (a title, if there is one,
  must still look like a title); two with the same number are a :class:`DocumentError`.
* Contents-list lines ending in dot leaders or a tab and a page number (``Overview ...... 3``) are ignored.

A heading may carry text on the same line: in ``1.2 Adults at Risk: means adults who ...`` the title is the
part before the first ``": "`` (when what follows starts in lower case or is long or a full sentence) and the
section's text starts with ``means adults who ...``.

Section text: paragraphs are separated by ``"\\n\\n"`` (runs of blank lines collapse to one); lines inside a
paragraph, such as bullets, stay separate lines; trailing spaces go. A paragraph that stops without ``. ! ? :
;`` and is followed by one starting in lower case was split by a page break, so the two are joined with a
space.

Text before the first heading becomes a preamble section (number ``""``, title ``"Introduction"``, anchor
``"preamble"``) if it has any letters or digits. A document with no headings at all is one section (number
``"1"``) plus a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TITLE = 90
# The text after "Title:" on a heading line counts as the start of the section when it is at least this long.
_LONG_INLINE = 60


class DocumentError(Exception):
    """Something wrong with a policy document, worded for a school office: what is wrong and what to do."""


@dataclass(frozen=True)
class ParsedSection:
    number: str  # "5", "7.1", "A" (appendix), "III" (part); "" for the preamble
    title: str
    level: int  # 1 for "5", "Part 3", "Appendix A" and the preamble; 2 for "5.2"; 3 for "5.2.1"
    anchor: str  # unique within the document, URL-safe: "section-7-1", "part-3", "appendix-a", "preamble"
    text: str  # paragraphs separated by "\n\n"


@dataclass(frozen=True)
class ParsedDocument:
    sections: tuple[ParsedSection, ...]
    notes: tuple[str, ...]  # things a person should check, in plain words


_NUMBER = r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,3}"
_AFTER = r"(?=$|[ \t:.\-–—])"  # what may follow a heading's number
_SEP = r"[ \t]*(?:[-–—:.][ \t]*)?"  # " - ", ": ", ". " or just spaces between number and title
_MARKDOWN = re.compile(r"^(#{1,6})[ \t]+(.*)$")
_SECTION = re.compile(rf"^section[ \t]+({_NUMBER}){_AFTER}{_SEP}(.*)$", re.IGNORECASE)
_PART = re.compile(rf"^part[ \t]+([0-9]{{1,3}}|[ivx]{{1,6}}){_AFTER}{_SEP}(.*)$", re.IGNORECASE)
_ROMAN = re.compile(r"^X{0,3}(?:IX|IV|V?I{0,3})$", re.IGNORECASE)
_APPENDIX = re.compile(rf"^(appendix|annexe?)[ \t]+([a-z]|[0-9]{{1,3}}){_AFTER}{_SEP}(.*)$", re.IGNORECASE)
_NUMERIC = re.compile(rf"^({_NUMBER})(\.?)[ \t]+(.*)$")
_LIST_ITEM = re.compile(r"^([0-9]{1,3})[.)]?[ \t]+\S")
_CONTENTS_LINE = re.compile(r"(?:\.{4,}|…{2,}|\t)[ \t]*[0-9]+$")
_SENTENCE_END = (".", "!", "?", ":", ";")
_LABELS = {"section": "Section", "part": "Part", "appendix": "Appendix", "annex": "Annex"}


@dataclass
class _Heading:
    kind: str  # "section", "part", "appendix" or "annex"
    number: str
    title: str
    inline: str  # text after the title on the heading line
    line_no: int
    weak: bool = False  # "5. Title" / "5 Title"
    word: bool = False  # "Section 5 ..."
    trusted: bool = False  # came from a Markdown heading

    @property
    def label(self) -> str:
        return f"{_LABELS[self.kind]} {self.number}"

    @property
    def level(self) -> int:
        return self.number.count(".") + 1 if self.kind == "section" else 1

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.number.lower().replace('.', '-')}"

    @property
    def top(self) -> int | None:
        return int(self.number.split(".")[0]) if self.kind == "section" else None


def _title_like(s: str) -> bool:
    """Short, an upper-case letter in the first word ("Overview", "iPads", "e-Safety"), not a sentence."""
    if not s or len(s) > MAX_TITLE or s.endswith((".", ",", ";")):
        return False
    return any(c.isupper() for c in s.split()[0])


def _title_and_inline(rest: str, *, check: bool) -> tuple[str, str] | None:
    """Split what follows a heading's number into (title, text on the same line), or None if it is no title."""
    if check and _CONTENTS_LINE.search(rest[-40:]):  # the tail only: dot leaders must not cost quadratic time
        return None
    rest = " ".join(rest.split())
    colon = rest.find(": ")
    if colon > 0:
        before, after = rest[:colon].strip(), rest[colon + 2 :].strip()
        if (
            after
            and _title_like(before)
            and (after[0].islower() or len(after) >= _LONG_INLINE or after.endswith("."))
        ):
            return before, after
    title = rest.rstrip(" :-–—").strip()
    if check and title and not _title_like(title):
        return None
    return title, ""


def _candidate(line: str, line_no: int, *, check: bool) -> _Heading | None:
    """What heading ``line`` would be, before any sequence checks; None if it has no heading shape."""
    word = False
    if m := _SECTION.match(line):
        kind, number, rest, weak, word = "section", m[1], m[2], False, True
    elif (m := _PART.match(line)) and (m[1].isdigit() or _ROMAN.match(m[1])):
        kind, number, rest, weak = "part", m[1].upper(), m[2], False
    elif m := _APPENDIX.match(line):
        kind = "appendix" if m[1].lower() == "appendix" else "annex"
        number, rest, weak = m[2].upper(), m[3], False
    elif m := _NUMERIC.match(line):
        kind, number, rest, weak = "section", m[1], m[3], "." not in m[1]
    else:
        return None
    split = _title_and_inline(rest, check=check)
    if split is None:
        return None
    title, inline = split
    if weak and not title:
        return None
    return _Heading(kind, number, title, inline, line_no, weak=weak, word=word)


def _without_closing_hashes(s: str) -> str:
    """``Title ##`` -> ``Title`` (Markdown's optional closing hashes); ``C#`` stays as it is."""
    bare = s.rstrip("#")
    return bare.rstrip() if bare != s and (not bare or bare[-1] in " \t") else s


def _normalise(text: str) -> list[str]:
    text = text.replace("\r\n", "\n")
    for ch in "\r\f\v\u2028\u2029\x85":
        text = text.replace(ch, "\n")
    return [line.strip() for line in text.split("\n")]


def _body(lines: list[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    joined: list[str] = []
    for para in paragraphs:
        if joined and not joined[-1].endswith(_SENTENCE_END) and para[0].islower():
            joined[-1] += " " + para
        else:
            joined.append(para)
    return "\n\n".join(joined)


def parse_sections(text: str) -> ParsedDocument:
    """Split ``text`` into sections (see the module docstring for the rules).

    Raises :class:`DocumentError` for an empty document or when two headings share a number."""
    lines = _normalise(text)
    if not any(lines):
        raise DocumentError("The document is empty. Check you chose the right file and upload it again.")

    list_numbers = [int(m[1]) if (m := _LIST_ITEM.match(line)) else None for line in lines]
    next_line: list[int | None] = [None] * len(lines)
    following = None
    for i in range(len(lines) - 1, -1, -1):
        next_line[i] = following
        if lines[i]:
            following = i

    segments: list[tuple[_Heading | None, list[str]]] = [(None, [])]
    last_top: int | None = None
    uses_section_word = False
    previous_item: int | None = None  # number of the list item just before, if any

    for i, line in enumerate(lines):
        body = segments[-1][1]
        if not line:
            body.append("")
            continue
        heading: _Heading | None = None
        unnumbered_markdown = None
        if m := _MARKDOWN.match(line):
            inner = _without_closing_hashes(m[2])
            heading = _candidate(inner, i + 1, check=False)
            if heading is None:
                unnumbered_markdown = " ".join(inner.split())
            else:
                heading.weak, heading.trusted = False, True
        else:
            heading = _candidate(line, i + 1, check=True)
            if heading is not None and heading.kind == "section":
                expected = 1 if last_top is None else last_top + 1
                top = heading.top
                if heading.weak:
                    j = next_line[i]
                    if (
                        uses_section_word
                        or top not in (expected, expected + 1)
                        or previous_item == top - 1
                        or (j is not None and list_numbers[j] == top + 1)
                    ):
                        heading = None
                elif "." in heading.number and not heading.word:
                    if top not in (last_top, expected):
                        heading = None
        if heading is None:
            if unnumbered_markdown is not None:
                body.extend(["", unnumbered_markdown, ""] if unnumbered_markdown else [])
            else:
                body.append(line)
            if list_numbers[i] is not None:
                previous_item = list_numbers[i]
            elif i == 0 or not lines[i - 1]:
                previous_item = None  # a new paragraph ends a list; a wrapped item's next line does not
            continue
        if heading.kind == "section":
            last_top = heading.top
            uses_section_word = uses_section_word or heading.word
        previous_item = None
        segments.append((heading, [heading.inline] if heading.inline else []))

    headings = [h for h, _ in segments if h is not None]
    _check_duplicates(headings)
    notes: list[str] = []
    sections: list[ParsedSection] = []
    preamble = _body(segments[0][1])
    if not headings:
        first = next(line for line in lines if line)
        title = " ".join(first.split()) if len(first) <= MAX_TITLE else "Whole document"
        notes.append(
            "No numbered sections were recognised: the whole document is one section. To split it, number "
            "the headings (for example 'Section 1 - Overview' or '1. Overview') and upload it again."
        )
        return ParsedDocument((ParsedSection("1", title, 1, "section-1", preamble),), tuple(notes))
    used: set[str] = set()
    if any(c.isalnum() for c in preamble):
        sections.append(ParsedSection("", "Introduction", 1, "preamble", preamble))
        used.add("preamble")
    for heading, body_lines in segments[1:]:
        assert heading is not None
        anchor, n = heading.anchor, 2
        while anchor in used:
            anchor, n = f"{heading.anchor}-{n}", n + 1
        used.add(anchor)
        title = heading.title or heading.label
        sections.append(ParsedSection(heading.number, title, heading.level, anchor, _body(body_lines)))
    notes.extend(_gap_notes(headings))
    return ParsedDocument(tuple(sections), tuple(notes))


def _check_duplicates(headings: list[_Heading]) -> None:
    seen: dict[tuple[str, str], _Heading] = {}
    for heading in headings:
        key = (heading.kind, heading.number)
        if (first := seen.get(key)) is not None:
            raise DocumentError(
                f"{heading.label} appears twice, on line {first.line_no} and line {heading.line_no}. "
                "Each section needs its own number: fix the numbering in the document (if one of them is "
                "in a contents list, delete the contents list) and upload it again."
            )
        seen[key] = heading


def _gap_notes(headings: list[_Heading]) -> list[str]:
    tops = [h.top for h in headings if h.kind == "section" and h.level == 1 and h.top is not None]
    notes = []
    for a, b in zip(tops, tops[1:], strict=False):
        if b == a + 2:
            notes.append(f"There is no Section {a + 1} between Sections {a} and {b}: check its heading.")
        elif b > a + 2:
            notes.append(f"The numbering jumps from Section {a} to Section {b}: check the headings between.")
        elif b < a:
            notes.append(f"Section {b} comes after Section {a}: check the numbering.")
    return notes
