"""Check before you post (§4): a school's draft-checking context, and checking a draft with it.

The context (the school's names and aliases, every pupil's names, the school's own section numbers to cite)
is built once per process and school and reused; one cheap query per check notices a changed roster, new
aliases or a newly published policy and rebuilds it. The draft itself is never stored or logged unless the
member of staff chooses to save the check."""

import threading

from django.db.models import Count, Max

from saferstaff.policies.models import PolicyKind, PolicySection, PolicyVersion
from saferstaff.schools.models import Pupil, SchoolSettings
from saferstaff.textcheck.check import Context, Result, check
from saferstaff.textcheck.roster import PupilNames

_contexts: dict[tuple[int, bool], tuple[tuple, Context]] = {}
_lock = threading.Lock()

# Where the school's own policy says each thing: the first published section whose title has these words.
_SECTION_TITLES = {
    "pupil": ("social media",),
    "school": ("social media",),
    "tone": ("social media",),
    "personal_data": ("confidential", "data protection"),
    "image": ("image", "photograph"),
}


def _stamp(school) -> tuple:
    pupils = Pupil.objects.filter(school=school).aggregate(n=Count("pk"), at=Max("updated_at"))
    published = tuple(
        PolicyVersion.objects.filter(school=school, status=PolicyVersion.Status.PUBLISHED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return (school.name, SchoolSettings.for_school(school).name_aliases, pupils["n"], pupils["at"], published)


def cited_sections(school):
    """The published sections a finding may cite: the school's online safety guidance's, if it has one."""
    published = PolicySection.objects.filter(school=school, version__status=PolicyVersion.Status.PUBLISHED)
    guidance = published.filter(version__policy__kind=PolicyKind.ONLINE_SAFETY)
    return guidance if guidance.exists() else published


def _sections(school) -> dict[str, str]:
    sections = list(cited_sections(school).filter(level=1).values_list("number", "title"))
    out = {}
    for kind, words in _SECTION_TITLES.items():
        for number, title in sections:
            if number and any(w in title.lower() for w in words):
                out[kind] = number
                break
    return out


def _roster(school) -> list[PupilNames]:
    return [
        PupilNames(
            key=upn or f"pupil-{pk}",
            forenames=tuple(n for n in (legal_fore, preferred_fore) if n),
            surnames=tuple(n for n in (legal_sur, preferred_sur) if n),
        )
        for pk, upn, legal_fore, preferred_fore, legal_sur, preferred_sur in Pupil.objects.filter(
            school=school
        ).values_list(
            "pk", "upn", "legal_forename", "preferred_forename", "legal_surname", "preferred_surname"
        )
    ]


def context_for(school, *, with_pupils: bool) -> Context:
    """The school's context, rebuilt only when something it is made from has changed. ``with_pupils``: only
    for someone who may see the school's pupils (§8) — for anyone else a check must not be a way to learn
    who is on roll, so their context has no pupils at all."""
    stamp = _stamp(school)
    key = (school.pk, with_pupils)
    cached = _contexts.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _contexts.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        context = Context.build(
            school.name,
            aliases=SchoolSettings.for_school(school).aliases,
            pupils=_roster(school) if with_pupils else [],
            sections=_sections(school),
        )
        _contexts[key] = (stamp, context)
        return context


def check_draft(school, text: str, *, with_pupils: bool, form: str = "post", faces: int = 0) -> Result:
    """Check ``text`` for the school; ``with_pupils`` as ``context_for`` (``schools.access.sees_pupils``)."""
    return check(text, context_for(school, with_pupils=with_pupils), form=form, faces=faces)
