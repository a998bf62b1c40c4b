"""Finding the school's pupils in a draft (§4: nothing that could identify someone connected to the school
without their explicit consent).

One Aho–Corasick automaton over every way the roster's names are written — "ben thompson", "benjamin
thompson", "ben t" — and every first name alone, so a draft is read once whatever the size of the roster.
What is found is then judged:

- a full name (first or preferred name and surname) is a finding;
- a first name and the surname's initial ("Ben T.") is a finding;
- a first name alone is a finding only when the words around it point to school ("in my class", "at
  pick-up", "Year 1", "little Ben") or it is a possessive with family ("Grace's mum");
- a first name that is also an ordinary word (Grace, Will, Hope, Summer, May, Rose, Jack …) must also be
  written with a capital in the middle of a sentence, and not be part of a phrase such as "Summer fair" or
  "May half term" — "Hope everyone has a good half term" is not about a pupil called Hope.

A surname alone is never a finding: "Mrs Thompson" is a colleague, not Ben Thompson."""

import bisect
import re
from dataclasses import dataclass

import ahocorasick

from saferstaff.textcheck.text import fold
from saferstaff.textcheck.words import EVENT_AFTER, ORDINARY_NAMES, SCHOOL_CUES, TITLES

_WORDCHAR = re.compile(r"\w")
_CUES = re.compile(
    r"\b(?:" + "|".join(sorted((re.escape(c) for c in SCHOOL_CUES), key=len, reverse=True)) + r")\b"
)
_FAMILY = re.compile(r"^(?:'s|s')\s+(?:mum|mam|mom|dad|mummy|daddy|nan|nana|nanna|gran|grandma|grandad|grandpa|"
                     r"parents?|brother|sister|sibling|auntie|aunty|uncle|carer|childminder|family|step-?mum|"
                     r"step-?dad|foster)")  # fmt: skip
_WINDOW = (
    2000  # characters either side (within the paragraph) in which a school cue makes a first name a pupil's
)
_TITLE_BEFORE = re.compile(r"\b(?:" + "|".join(TITLES) + r")\.?\s*$")
_OWN_CHILD_BEFORE = re.compile(
    r"\b(?:(?:mum|mummy|mam|mom|dad|daddy|mother|father|parent|nan|nana|grandma|grandad) (?:to|of)|"
    r"(?:my|our) (?:daughter|son|niece|nephew|grandson|granddaughter|girl|boy|baby|youngest|eldest)\s*,?)"
    r"(?:\s*\w+\s*(?:,|&|and))*\s*$"  # "mum to Grace & Hope": Hope too
)
_LITTLE_BEFORE = re.compile(r"\blittle\s*$")
_OWN_NAMED = re.compile(
    r"\b(?:my|our) (?:daughter|son|niece|nephew|grandson|granddaughter|husband|wife|partner|boyfriend|"
    r"girlfriend|dog|cat|puppy|kitten)(?: (?:called|named))?,? ([a-z]+)"
    r"|\b(?:boyfriend|girlfriend|husband|wife|partner|friend|dog|cat|puppy|kitten) (?:called|named) ([a-z]+)"
)
_OWN_LIST = re.compile(
    r"\b(?:my|our) (?:two|three|four|kids|children|boys|girls|lot|babies|twins),? ((?:[a-z]+(?:, | and | & )?){1,4})"
)
# Before a name, words that make it an adult's: "our TA Grace", "married to Will", "replying to Holly".
_ADULT_BEFORE = re.compile(
    r"\b(?:(?:my|our|the) (?:ta|tas|teacher|colleague|head|headteacher|deputy|caretaker|senco|friend|mate|bestie|"
    r"husband|wife|partner|boyfriend|girlfriend|fiance|fiancee|hubby|neighbour|cleaner|cook|boss|manager)|"
    r"married to|replying to|engaged to|colleague|miss|sir)\s*,?\s*$"
)
# After a name, what makes it not a pupil: a story's title, a character, someone from elsewhere.
_NOT_A_PUPIL_AFTER = re.compile(r"^ (?:and the|from (?!my |our |the class|year|reception|nursery|y\d|yr)\w)")
# After a name-word at the start of a sentence, what only a person does: "Summer wrote…", "Storm fell…",
# "Lily and Dolly…" — not "Hope you…", "Will do", "May I".
_ACTS = re.compile(
    r"^(?:'s|\s+(?:and|&)\s+[A-Z][a-z]+|,\s+[A-Z][a-z]+(?:,| and| &)|\s+(?:wrote|read|found|fell|made|took|got|said|asked|told|gave|"
    r"brought|built|drew|sang|ran|won|spent|became|came|went|put|sat|stood|left|knew|thought|saw|did|had|was|"
    r"is|tried|decided|finished|spotted|cried|laughed|shouted|counted|painted|showed|explained|helped|"
    r"remembered|learned|learnt|managed|announced|informed|insisted|refused|looked|lost|forgot|earned|"
    r"climbed|jumped|danced|scored|kicked|caught|threw|grew|began|wore|woke|ate|drank|swam|slept|hid|"
    r"dug|has|[a-z]+ed)\b)"
)
# Right after the name, a phrase that makes it a pupil even at the start of a sentence ("Hope in my class").
_STRONG_AFTER = re.compile(
    r"^(?:\s*(?:,|and|&)\s*\w+)*\s+(?:(?:is |was |are |were )?in (?:my|our|the) (?:class|group)|"
    r"(?:is |was )?in (?:(?:my|our) )?(?:reception|nursery|year \d|y\d|yr ?\d)|from (?:my|our) class|in class|"
    r"at pick-?up)"
)
_NEXT_WORD = re.compile(r"^ ([A-Za-z][a-z'’-]+)")
_NOT_A_SURNAME = frozenset("in and or at on to from is was has had did does the a an".split())


@dataclass(frozen=True)
class PupilNames:
    key: str  # the UPN (or another id) reported with a finding
    forenames: tuple[str, ...]  # legal and preferred
    surnames: tuple[str, ...]


FULL, INITIAL, FIRST = "full", "initial", "first"


class Roster:
    def __init__(self, pupils: list[PupilNames]):
        self.pupils = pupils
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, int]]] = {}
        for index, pupil in enumerate(pupils):
            # Folded exactly as drafts are ("Zoë" → "zoe", "O’Brien" → "o'brien", spaces collapsed).
            for fore in {fold(f).text.strip() for f in pupil.forenames if f.strip()} - {""}:
                entries.setdefault(fore, []).append((FIRST, index))
                for sur in {fold(s).text.strip() for s in pupil.surnames if s.strip()} - {""}:
                    entries.setdefault(f"{fore} {sur}", []).append((FULL, index))
                    entries.setdefault(f"{fore} {sur[0]}", []).append((INITIAL, index))
        for key, value in entries.items():
            self._automaton.add_word(key, (key, tuple(dict.fromkeys(value))))
        if entries:
            self._automaton.make_automaton()
        self._empty = not entries

    def find(self, text: str, cased: str) -> list[tuple[int, int, str, tuple[int, ...]]]:
        """(start, end, how, pupil indices) in the folded ``text`` (``cased``: the same, case kept)."""
        if self._empty:
            return []
        hits = []
        own = _own_children(text)
        cues = [m.start() for m in _CUES.finditer(text)]  # where school is mentioned, found once
        for end_index, (key, entries) in self._automaton.iter(text):
            start, end = end_index - len(key) + 1, end_index + 1
            if (start > 0 and _WORDCHAR.match(text[start - 1])) or (
                end < len(text) and _WORDCHAR.match(text[end])
            ):
                continue  # inside a longer word ("bens", "robben")
            hits.append((start, end, entries))
        # The longest match at each place wins ("ben thompson" over "ben t" over "ben").
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        chosen, reach = [], -1
        for start, end, entries in hits:
            if start < reach:
                continue
            how = entries[0][0]
            pupils = tuple(i for kind, i in entries if kind == how)
            if how == INITIAL and not _initial_ok(cased, end):
                continue
            if how == FIRST and (
                text[start:end] in own or not self._first_name_ok(text, cased, start, end, cues)
            ):
                continue
            chosen.append(
                (
                    start,
                    end + (1 if how == INITIAL and end < len(text) and text[end] == "." else 0),
                    how,
                    pupils,
                )
            )
            reach = end
        return chosen

    def _first_name_ok(self, text: str, cased: str, start: int, end: int, cues: list[int]) -> bool:
        name = text[start:end]
        after = text[end : end + 40]
        before = text[max(0, start - 30) : start]
        if _TITLE_BEFORE.search(before) or _OWN_CHILD_BEFORE.search(before) or _ADULT_BEFORE.search(before):
            return False  # "Mrs Grace", "mum to Grace", "our TA Grace", "married to Will": not a pupil
        if re.match(r"-[a-z]", after) or re.match(r"\s*\d", after) or re.search(r"\d\s*$", before):
            return False  # "Oscar-worthy", "12 May 2020"
        if _NOT_A_PUPIL_AFTER.match(after):
            return False  # "Jack and the Beanstalk", "Chase from Paw Patrol", "Grace from the office"
        nxt = _NEXT_WORD.match(cased[end : end + 30])
        if nxt and nxt.group(1)[0].isupper() and nxt.group(1).lower() not in _NOT_A_SURNAME:
            return False  # "Harry Potter", "Ella Fitzgerald": someone else's full name
        family = _FAMILY.match(after)
        strong_after = _STRONG_AFTER.match(after)
        if name in ORDINARY_NAMES:
            if not cased[start].isupper():
                return False
            if _sentence_start(text, start) and not (
                family or strong_after or _ACTS.match(cased[end : end + 40])
            ):
                return False  # "Hope everyone…", "Will you…" — but "Hope in my class…", "Summer wrote…"
            following = after.lstrip().split(" ", 1)[0].strip(".,!?;:'\"")
            if following in EVENT_AFTER:
                return False
        if family or strong_after or _LITTLE_BEFORE.search(before):
            return True
        begin, finish = _paragraph(text, start, end)
        at = bisect.bisect_left(cues, begin)
        return at < len(cues) and cues[at] < finish


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph around a name (at most ``_WINDOW`` characters either side): a post about "my class"
    names its children sentences after saying so."""
    begin = text.rfind("\n\n", max(0, start - _WINDOW), start)
    finish = text.find("\n\n", end, end + _WINDOW)
    return (max(0, start - _WINDOW) if begin == -1 else begin, end + _WINDOW if finish == -1 else finish)


def _own_children(text: str) -> set[str]:
    """First names the draft introduces as the writer's own family ("my two, Rose and Jack"): every other
    mention of them in the draft is theirs too."""
    return {m.group(1) or m.group(2) for m in _OWN_NAMED.finditer(text)} | {
        n for m in _OWN_LIST.finditer(text) for n in re.findall(r"[a-z]+", m.group(1))
    }


def _initial_ok(cased: str, end: int) -> bool:
    """ "Ben T." or "Ben T" (capital initial), not "ben took"."""
    letter = cased[end - 1]
    nxt = cased[end : end + 1]
    return letter.isupper() and (nxt == "" or not nxt.isalnum())


def _sentence_start(text: str, start: int) -> bool:
    """Nothing but punctuation, an emoji or a separator before it since the last word: "Hope everyone…",
    "| Hope for the best", "🎉 May the force…". A comma or "&" keeps the sentence going."""
    before = text[:start].rstrip(" \"'(*_#>“‘")
    return not before or not (before[-1].isalnum() or before[-1] in ",&")
