"""What the image library can be narrowed to — its activities, devices, the staff who uploaded, the pupils
tagged — and how many images are flagged: read at most once per state of the school, per minute
(``audit.log.kept``, ADR 0014), as each of them changes only through a door that records an event."""

from django.db.models import Exists, OuterRef
from django.utils.safestring import mark_safe

from saferstaff.accounts.models import User
from saferstaff.audit.log import kept
from saferstaff.photos.models import Activity, Device, Image, ImageTag
from saferstaff.rows import draw
from saferstaff.schools.models import Membership, Pupil

# Each filter's query parameter and the name its options have on the page.
SHOWN_AS = {"activity": "activities", "device": "devices", "photographer": "photographers", "pupil": "pupils"}


def filter_choices(school, filters: dict) -> dict:
    """Each filter's options, drawn with the one chosen selected, and ``flagged_count``."""
    drawn, flagged = kept("image-filters", school.pk, lambda: _drawn(school))
    shown = {}
    for kind, name in SHOWN_AS.items():
        html, chosen = drawn[kind], filters.get(kind)  # ``chosen``: digits only (parse_id), or None
        if chosen is not None:
            html = html.replace(f'<option value="{chosen}">', f'<option value="{chosen}" selected>', 1)
        shown[name] = mark_safe(html)  # drawn escaped; only the id's option changed
    return shown | {"flagged_count": flagged}


def _drawn(school) -> tuple[dict[str, str], int]:
    """Each filter's options drawn by Jinja2 (ADR 0017), none selected: a school's filters list hundreds of
    pupils and activities, so the markup is kept with the choices, not drawn again for every page."""
    options, flagged = _options(school)
    drawn = {
        kind: str(draw("includes/options.jinja", options=[(value, label, False) for value, label in pairs]))
        for kind, pairs in options.items()
    }
    return drawn, flagged


def _options(school) -> tuple[dict[str, list[tuple[str, str]]], int]:
    """Each filter's (value, label) pairs, each read with only the fields its label shows."""
    names = ("legal_forename", "legal_surname", "preferred_forename", "preferred_surname")  # display_name
    # Semi-joins from the school's people (a photographer is always one of its staff, and a place is never
    # deleted, only ended), each answered from an index: reading the school's images or tags to collect
    # their people grows with the library (PostgreSQL, 5,000 images: 12 ms and 9.6 ms against 0.8 and 0.5).
    staff = Membership.objects.filter(school=school).values("user")
    uploaded = Image.objects.filter(school=school, uploaded_by=OuterRef("pk"))
    tagged = ImageTag.objects.filter(pupil=OuterRef("pk"))
    options = {
        "activity": [(str(a.pk), str(a)) for a in Activity.objects.filter(school=school).only("title")],
        "device": [
            (str(d.pk), str(d))
            for d in Device.objects.filter(school=school).only("asset_tag", "make", "model")
        ],
        "photographer": [
            (str(u.pk), u.get_full_name())
            for u in User.objects.filter(pk__in=staff)
            .filter(Exists(uploaded))
            .only("first_name", "last_name")
            .order_by("last_name")
        ],
        "pupil": [
            (str(p.pk), p.display_name)
            for p in Pupil.objects.filter(school=school).filter(Exists(tagged)).only(*names)
        ],
    }
    flagged = Image.objects.filter(school=school, flag_cleared_at__isnull=True).exclude(flag="").count()
    return options, flagged
