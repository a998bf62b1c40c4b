"""Checking a draft post or profile against the school's policy: ``check(text, context) -> Result``.

The ``Context`` is built once per school (its names, its roster, the policy sections to cite) and reused for
every draft; building it for 2,000 pupils takes a few milliseconds. Nothing here stores or logs the draft."""

import re
from dataclasses import dataclass, field

from saferstaff.numbers import parse_int
from saferstaff.textcheck import personal, tone
from saferstaff.textcheck.roster import FIRST, PupilNames, Roster
from saferstaff.textcheck.schoolnames import variants
from saferstaff.textcheck.text import fold

MAX_CHARS = 20_000  # a long blog post; a whole document is not a draft

OK, REVIEW, STOP = "ok", "review", "stop"

# What each kind of finding is about, where the seed policy says so, and what to do about it.
KINDS = {
    "pupil": (
        "4",
        STOP,
        "Names a pupil. Don't post anything that could identify a pupil without explicit consent.",
    ),
    "personal_data": (
        "8",
        STOP,
        "Personal information is confidential: don't post it, even in a private group.",
    ),
    "school": (
        "4",
        REVIEW,
        "Names the school. Personal profiles should not identify your employer, and every post is public.",
    ),
    "tone": (
        "4",
        REVIEW,  # STOP only when the model is sure (tone.find)
        "Could read as harassing or running down someone in the school community, or bring the school into "
        "disrepute.",
    ),
    "image": ("5", REVIEW, "The photo shows people: images of people need their explicit consent."),
}


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str
    section: str
    advice: str
    pupil_upn: str | None = None
    verdict: str = STOP

    def as_json(self, *, identify: bool = True) -> dict:
        """The finding as JSON; without ``identify``, a pupil finding does not say which pupil (the web API and
        saved checks: a name typed into a check must not become a way to look pupils up)."""
        out = {
            "kind": self.kind, "start": self.start, "end": self.end, "text": self.text,
            "section": self.section, "advice": self.advice,
        }  # fmt: skip
        if self.kind == "pupil" and identify:
            out["pupil_upn"] = self.pupil_upn
        return out


@dataclass(frozen=True)
class Result:
    verdict: str
    findings: list[Finding]
    too_long: bool = False

    @property
    def sections(self) -> list[str]:
        return sorted(
            {f.section for f in self.findings},
            key=lambda s: [n for p in s.split(".") if (n := parse_int(p)) is not None],
        )

    def as_json(self, *, identify: bool = True) -> dict:
        return {"verdict": self.verdict, "findings": [f.as_json(identify=identify) for f in self.findings]}


@dataclass
class Context:
    """What a school's drafts are checked against."""

    school_names: list[str]
    acronyms: list[str]
    roster: Roster
    sections: dict[str, str] = field(default_factory=dict)  # kind → the school's own section number

    @classmethod
    def build(
        cls, school_name: str, *, aliases=(), pupils: list[PupilNames] = (), sections=None
    ) -> "Context":
        names, acronyms = variants(school_name, list(aliases))
        return cls(names, acronyms, Roster(list(pupils)), dict(sections or {}))

    def __post_init__(self):
        names = {fold(n).text.strip() for n in self.school_names if n.strip()}
        names = {
            n for n in names if sum(c.isalnum() for c in n) >= 3
        }  # an alias of invisible characters is none
        names |= {n.replace(" ", "") for n in names if " " in n and len(n) >= 10}  # "#WestfieldInfants"
        folded = sorted(names, key=len, reverse=True)
        self._school = (
            re.compile(
                r"(?<![^\W_])(?:" + "|".join(re.escape(n) for n in folded) + r")(?:'s)?(?![^\W_])"
                r"(?! (?:stratford|london|white city|shopping|centre|center|mall|derby|merry hill)\b)"
            )
            if folded
            else None
        )
        # Initials in capitals; four letters or more also in lower case ("ywis" is no word, "wis" might be).
        upper = [a for a in self.acronyms if len(a) < 4]
        any_case = [a for a in self.acronyms if len(a) >= 4]
        self._acronym = (
            re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, upper)) + r")(?![^\W_])")
            if upper
            else None
        )
        self._acronym_any = (
            re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(a.lower()) for a in any_case) + r")(?![^\W_])")
            if any_case
            else None
        )


def check(text: str, context: Context, *, form: str = "post", faces: int = 0) -> Result:
    """Every finding in ``text`` (a post, or with ``form="bio"`` a profile), plus one for an attached photo
    with ``faces`` faces. The verdict is "stop" if anything breaks the policy, "review" if something needs
    thought, else "ok"."""
    if len(text) > MAX_CHARS:
        return Result(REVIEW, [], too_long=True)
    folded = fold(text)
    found: list[Finding] = []

    def add(kind: str, start: int, end: int, upn: str | None = None, *, stop: bool = False) -> None:
        s, e = folded.span(start, end)
        section, verdict, advice = KINDS[kind]
        if stop or (kind == "school" and form == "bio"):
            verdict = STOP
        found.append(
            Finding(kind, s, e, text[s:e], context.sections.get(kind, section), advice, upn, verdict)
        )

    taken: list[tuple[int, int]] = []
    if context._school is not None:
        for m in context._school.finditer(folded.text):
            add("school", m.start(), m.end())
            taken.append(m.span())
    for pattern, haystack in ((context._acronym, folded.cased), (context._acronym_any, folded.text)):
        if pattern is not None:
            for m in pattern.finditer(haystack):
                add("school", m.start(), m.end())
                taken.append(m.span())
    for start, end, how, indices in context.roster.find(folded.text, folded.cased):
        if any(start < e and s < end for s, e in taken):
            continue  # "Westfield" is the school even if a pupil is called that
        pupils = [context.roster.pupils[i] for i in indices]
        upn = pupils[0].key if len(pupils) == 1 or how != FIRST else None
        add("pupil", start, end, upn)
    for start, end, _what in personal.find(folded.cased):
        add("personal_data", start, end)
    for start, end, sure in tone.find(folded.text):
        add("tone", start, end, stop=sure)
    if faces:
        section, _verdict, advice = KINDS["image"]
        found.append(Finding("image", 0, 0, "", context.sections.get("image", section), advice, None, REVIEW))
    found.sort(key=lambda f: (f.start, f.end))
    verdicts = {f.verdict for f in found}
    verdict = STOP if STOP in verdicts else REVIEW if verdicts else OK
    return Result(verdict, found)
