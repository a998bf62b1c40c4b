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
  heading, so the title needs no further checks). Word's heading styles arrive here as Markdown headings
  (see :mod:`.readers`).

Documents whose headings carry no numbers (most early-years and many school policies): when the Markdown (or
Word-styled) headings outnumber the numbered ones and none of them is numbered, those headings make the
sections, numbered by position (``1``, ``1.1``, ``2`` …, by heading level), and each anchor is made from the
heading's text (``online-safety``), so the same heading keeps the same anchor in every version. A single
top-level heading before all the others is the document's title and stays in the introduction. In a document
with numbered headings, an unnumbered Markdown heading (``### Volunteers``) stays in the current section's
text as a paragraph of its own, without the ``#``.

Front matter (``---`` on the first line, ``key: value`` lines, ``---``) is metadata, never policy text: its
``title``, adopted date and review date are returned in :attr:`ParsedDocument.metadata` and a note.

Contents lists are not sections: a ``Contents`` line and the lines after it that end in page numbers or name a
heading that comes later, or (without the word) a run of lines before the first heading that name later
headings, are dropped.

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
import unicodedata
from dataclasses import dataclass, field

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
    # From front matter, when there is any: "title", "adopted", "review" (as written in the file).
    metadata: dict[str, str] = field(default_factory=dict)


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
# An unnumbered heading longer than this is a paragraph someone styled as a heading, not a heading.
MAX_UNNUMBERED_HEADING = 150
# A heading of two words or more ending like this is a document's title: "Online Safety Policy".
_TITLE_ENDING = re.compile(
    r"\S\s+(?:\S+\s+){0,12}(?:policy|policies|procedures?|guidance|guidelines)$", re.IGNORECASE
)
_CONTENTS_WORDS = {"contents", "table of contents", "contents page", "content"}
_LINK = re.compile(r"\[([^\]\n]{1,300})\]\([^)\s]{0,2000}\)")
_EMPHASIS_MARKS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
_BULLET = re.compile(r"^(?:[-*+•][ \t]+)")
_LEADING_NUMBER = re.compile(
    r"^(?:(?:section|part|appendix|annexe?)[ \t]+[0-9a-z]{1,6}|[0-9]{1,3}(?:\.[0-9]{1,3}){0,3})(?![0-9a-z])"
    r"\.?[ \t]*[-–—:.]?[ \t]*",
    re.IGNORECASE,
)
_PAGE_NUMBER = re.compile(r"(?:[ \t]*(?:\.{2,}|…+)[ \t]*|[ \t]+)[0-9]{1,3}$")
_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_ \-]{0,40}):(?:[ \t]+(.*))?$")
_METADATA_KEYS = {
    "title": "title",
    "adopted": "adopted", "date adopted": "adopted", "adopted date": "adopted", "adopted on": "adopted",
    "approved": "adopted", "date approved": "adopted", "approved date": "adopted", "ratified": "adopted",
    "date ratified": "adopted", "date": "adopted", "effective date": "adopted",
    "review": "review", "review date": "review", "next review": "review", "next review date": "review",
    "review due": "review", "date of next review": "review", "review by": "review",
}  # fmt: skip
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


_UNDERLINE = re.compile(r"^(=+|-+)$")


def _normalise(text: str) -> list[str]:
    """Lines, stripped; a short line underlined with ``===`` or ``---`` (a Markdown "setext" heading, and
    how plain-text documents often mark headings) becomes a ``#`` or ``##`` heading."""
    text = text.replace("\r\n", "\n")
    for ch in "\r\f\v\u2028\u2029\x85":
        text = text.replace(ch, "\n")
    lines = [line.strip() for line in text.split("\n")]
    for i in range(1, len(lines)):
        m = _UNDERLINE.match(lines[i])
        above = lines[i - 1]
        if (
            m
            and len(m[1]) >= 3
            and above
            and len(above) <= MAX_UNNUMBERED_HEADING
            and not _MARKDOWN.match(above)
            and not _BULLET.match(above)
            and (i < 2 or not lines[i - 2])  # a heading is a paragraph of its own
        ):
            lines[i - 1], lines[i] = ("#" if m[1][0] == "=" else "##") + " " + above, ""
    return lines


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
    metadata, text = _front_matter(text)
    lines = _normalise(text)
    if not any(lines):
        raise DocumentError("The document is empty. Check you chose the right file and upload it again.")
    lines = _without_contents_list(lines)

    list_numbers = [int(m[1]) if (m := _LIST_ITEM.match(line)) else None for line in lines]
    next_line: list[int | None] = [None] * len(lines)
    following = None
    for i in range(len(lines) - 1, -1, -1):
        next_line[i] = following
        if lines[i]:
            following = i

    segments: list[tuple[_Heading | None, list[str]]] = [(None, [])]
    unnumbered: list[tuple[int, int, str]] = []  # (line index, Markdown level, title) of "## Title" headings
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
            inner = _plain_inline(_without_closing_hashes(m[2]))
            heading = _candidate(inner, i + 1, check=False)
            if heading is None:
                unnumbered_markdown = " ".join(inner.split())
                if 0 < len(unnumbered_markdown) <= MAX_UNNUMBERED_HEADING:
                    unnumbered.append((i, len(m[1]), unnumbered_markdown))
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
    notes = _metadata_notes(metadata)
    if unnumbered and not any(h.trusted for h in headings) and len(unnumbered) > len(headings) + 1:
        document = _sections_by_position(lines, unnumbered)
        if document is not None:
            return ParsedDocument(document.sections, tuple(notes) + document.notes, metadata)
    _check_duplicates(headings)
    sections: list[ParsedSection] = []
    preamble = _body(segments[0][1])
    if not headings:
        first = next(line for line in lines if line)
        title = metadata.get("title") or (
            " ".join(first.split()) if len(first) <= MAX_TITLE else "Whole document"
        )
        notes.append(
            "No numbered sections were recognised: the whole document is one section. To split it, number "
            "the headings (for example 'Section 1 - Overview' or '1. Overview'), or use Word's heading "
            "styles, and upload it again."
        )
        return ParsedDocument((ParsedSection("1", title, 1, "section-1", preamble),), tuple(notes), metadata)
    used: set[str] = set()
    if any(c.isalnum() for c in preamble):
        sections.append(ParsedSection("", "Introduction", 1, "preamble", preamble))
        used.add("preamble")
    for heading, body_lines in segments[1:]:
        assert heading is not None
        anchor = _unique(heading.anchor, used)
        title = heading.title or heading.label
        sections.append(ParsedSection(heading.number, title, heading.level, anchor, _body(body_lines)))
    notes.extend(_gap_notes(headings))
    return ParsedDocument(tuple(sections), tuple(notes), metadata)


def _unique(anchor: str, used: set[str]) -> str:
    candidate, n = anchor, 2
    while candidate in used:
        candidate, n = f"{anchor}-{n}", n + 1
    used.add(candidate)
    return candidate


def _slug(title: str) -> str:
    """'Online Safety & Social Media' -> 'online-safety-social-media'; accents dropped ('Café' -> 'cafe')."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_title.lower()))[:60].strip("-")


def _sections_by_position(lines: list[str], unnumbered: list[tuple[int, int, str]]) -> ParsedDocument | None:
    """Sections from unnumbered headings, numbered in order by level; None if only a title is left."""
    # The document's title above every other heading stays in the introduction: the first heading when it is
    # the only top-level one, follows a letterhead set as headings (top-level headings with nothing under
    # them), or reads as a title ("… Policy", "… Procedures", "… Guidance").
    title_lines: set[int] = set()
    top = min(level for _i, level, _t in unnumbered)
    while len(unnumbered) > 1 and unnumbered[0][1] == top == unnumbered[1][1]:
        if any(lines[unnumbered[0][0] + 1 : unnumbered[1][0]]):
            break
        title_lines.add(unnumbered.pop(0)[0])
    at_top = [h for h in unnumbered if h[1] == top]
    first_is_title = bool(title_lines) or bool(_TITLE_ENDING.search(unnumbered[0][2]))
    if len(unnumbered) > 1 and (len(at_top) == 1 and at_top[0] is unnumbered[0] or first_is_title):
        title_lines.add(unnumbered.pop(0)[0])
    if not unnumbered:
        return None
    base = min(level for _i, level, _t in unnumbered)
    starts = {i: (level, title) for i, level, title in unnumbered}
    preamble: list[str] = []
    parts: list[tuple[str, str, int, list[str]]] = []  # (number, title, level, body lines)
    counters: list[int] = []
    for i, line in enumerate(lines):
        if i in starts:
            level, title = starts[i]
            level = min(level - base + 1, len(counters) + 1)  # "#" then "###" is one level down, not two
            counters = counters[: level - 1] + [counters[level - 1] + 1 if len(counters) >= level else 1]
            parts.append((".".join(str(n) for n in counters), title, level, []))
        elif i in title_lines:
            preamble.extend(["", _plain_inline(_without_closing_hashes(_MARKDOWN.match(line)[2])), ""])
        else:
            (parts[-1][3] if parts else preamble).append(line)
    used: set[str] = set()
    sections = []
    introduction = _body(preamble)
    if any(c.isalnum() for c in introduction):
        sections.append(ParsedSection("", "Introduction", 1, "preamble", introduction))
        used.add("preamble")
    for number, title, level, body in parts:
        anchor = _unique(_slug(title) or f"section-{number.replace('.', '-')}", used)
        sections.append(ParsedSection(number, title, level, anchor, _body(body)))
    note = (
        "The headings have no numbers, so saferstaff numbered the sections in order (1, 2, 2.1 …). Each "
        "section's link is made from its heading, so it stays the same in later versions while the heading "
        "does."
    )
    return ParsedDocument(tuple(sections), (note,))


def _plain_inline(text: str) -> str:
    """A heading without Markdown's inline marks: links become their text, ``**``/``*``/``__`` go."""
    return _EMPHASIS_MARKS.sub("", _LINK.sub(lambda m: m[1], text))


# --- Front matter and contents lists --------------------------------------------------------------------


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Markdown/YAML front matter: ``---`` alone on the first line, ``key: value`` lines, then ``---`` (or
    ``...``). Returns what it says (title, adopted and review dates) and the text with it blanked out (lines
    kept, so line numbers in messages still match the file)."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text
    block = lines[1:end]
    metadata: dict[str, str] = {}
    keys = 0
    for line in block:
        if not line.strip() or line.lstrip().startswith("#") or line[:1] in (" ", "\t", "-"):
            continue  # blank, a comment, or part of a list or nested value
        m = _FRONT_MATTER_KEY.match(line.rstrip())
        if m is None:
            return {}, text  # not front matter after all: a line of dashes above some text
        keys += 1
        name = _METADATA_KEYS.get(m[1].strip().lower().replace("_", " ").replace("-", " "))
        value = (m[2] or "").strip().strip("\"'").strip()
        if name and value and name not in metadata:
            metadata[name] = value[:200]
    if not keys:
        return {}, text
    return metadata, "\n" * (end + 1) + "\n".join(lines[end + 1 :])


def _metadata_notes(metadata: dict[str, str]) -> list[str]:
    if not metadata:
        return []
    said = [
        f"{label} {metadata[key]}"
        for key, label in (("title", "title"), ("adopted", "adopted"), ("review", "review due"))
        if key in metadata
    ]
    return [
        "The file starts with details about the policy (front matter), which were read as details and not as "
        "policy text" + (": " + "; ".join(said) if said else "") + "."
    ]


def _heading_key(line: str) -> str:
    """A line reduced to its words for comparing a contents entry with a heading: no '#', bullet, number,
    link or emphasis marks, lower case."""
    text = _MARKDOWN.sub(r"\2", line.strip())
    text = _plain_inline(_BULLET.sub("", text))
    text = _LEADING_NUMBER.sub("", text.strip())
    return " ".join(text.split()).lower().rstrip(" :")


def _without_contents_list(lines: list[str]) -> list[str]:
    """``lines`` with a contents list blanked out (see the module docstring)."""
    keys = [_heading_key(line) if line and len(line) <= 300 else "" for line in lines]
    page_keys = [
        _heading_key(_PAGE_NUMBER.sub("", line)) if line and len(line) <= 300 else "" for line in lines
    ]
    heading_lines = [
        i
        for i, line in enumerate(lines)
        if line and (_MARKDOWN.match(line) or _candidate(line, i + 1, check=False))
    ]
    last_seen: dict[str, int] = {}  # key -> the last line it is on
    for i, key in enumerate(keys):
        if key:
            last_seen[key] = i
    last_heading: dict[str, int] = {}
    for i in heading_lines:
        if keys[i]:
            last_heading[keys[i]] = i

    def names_later(i: int, later: dict[str, int]) -> bool:
        return any(key and later.get(key, -1) > i for key in (keys[i], page_keys[i]))

    result = list(lines)
    for start, key in enumerate(keys):
        if key in _CONTENTS_WORDS:
            end, entries = _contents_run(
                lines, start + 1, lambda i: names_later(i, last_seen) or _is_page_line(lines[i])
            )
            if entries:
                result[start:end] = [""] * (end - start)
                return result
            break
    first_heading = next((i for i in heading_lines if not names_later(i, last_heading)), len(lines))
    start = next((i for i in range(first_heading) if lines[i] and names_later(i, last_heading)), None)
    if start is not None:
        end, entries = _contents_run(lines, start, lambda i: names_later(i, last_heading))
        if entries >= 2:
            result[start:end] = [""] * (end - start)
    return result


def _is_page_line(line: str) -> bool:
    """A contents entry ending in a page number: 'Aims ........ 3', 'Aims\t3', 'Aims 3' (short)."""
    if _CONTENTS_LINE.search(line[-40:]):
        return True
    m = re.match(r"^(.{1,90}?)[ \t]+[0-9]{1,3}$", line)
    return bool(m) and not m[1].rstrip().endswith(_SENTENCE_END)


def _contents_run(lines: list[str], start: int, is_entry) -> tuple[int, int]:
    """From ``start``, the end of the run of blank lines and entries, and how many entries it has."""
    i, entries = start, 0
    while i < len(lines) and (not lines[i] or is_entry(i)):
        entries += bool(lines[i])
        i += 1
    while i > start and not lines[i - 1]:
        i -= 1
    return i, entries


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
