from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject

from saferstaff.access import allowed_for
from saferstaff.accounts.adapters import sign_in_buttons, sign_in_choices
from saferstaff.schools.roles import standing_of

# Each menu item is current on every page under its address (a room's pages live under its path); the photos
# room's pages live under a few paths of their own.
MENU = (
    ("school_dashboard", "Overview", ()),
    ("staff_list", "Staff", ()),
    ("policy_list", "Policies", ()),
    ("draft_check", "Check a post", ()),
    ("pupil_list", "Pupils", ()),
    ("consent_register", "Consent", ()),
    (
        "activity_list",
        "Photos",
        ("images/", "devices/", "publications/", "screenings/", "faces/", "takedowns/", "websites/"),
    ),
    ("conduct_mine", "Conduct", ()),
    ("incidents_mine", "Incidents", ()),
    ("privacy_home", "Data protection", ()),
    ("review_list", "Self-review", ("evidence-pack/",)),
    ("report_list", "Governors' reports", ()),
    ("roster_upload", "Import from MIS", ()),
    ("audit_trail", "Audit trail", ()),
    ("school_settings", "Settings", ()),
    ("closure_days", "Closure days", ()),
)


def saferstaff(request):
    ctx = {"STATIC_PREFIX": settings.STATIC_URL, "current_school": None, "school_menu": ""}
    # The sign-in page's school buttons (read only on the page that shows them).
    ctx["sign_in_choices"] = SimpleLazyObject(sign_in_choices)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ctx

    # For "Confirm it is you": the school sign-in buttons of someone whose school requires them (asked only
    # on the pages that show them).
    ctx["school_sign_in_buttons"] = SimpleLazyObject(lambda: sign_in_buttons(user))
    standing = standing_of(request)  # read once per request, with the access and second-factor checks
    ctx["unread_notifications"] = standing.unread_notifications
    ctx["has_several_places"] = standing.places > 1
    school = getattr(request, "school", None)
    if school is None:
        return ctx
    ctx["current_school"] = school
    home, shown = menu(school.slug, request.roles)
    # The longest address the page is under wins (Closure days within Settings); the Overview only on itself.
    path = request.path
    under = [
        (len(u), i) for i, (_, _, addresses) in enumerate(shown) for u in addresses
        if (path == u if u == home else path.startswith(u))
    ]  # fmt: skip
    current = max(under, key=lambda pair: pair[0])[1] if under else None
    ctx["school_menu"] = _drawn_menu(get_script_prefix(), school.slug, request.roles, current)
    return ctx


def menu(slug: str, roles: frozenset[str]) -> tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """The school's Overview address and the menu items ``roles`` may open — (address, label, the addresses it
    is current under) — the same for every page of the school: worked out once per process, not per page."""
    return _menu(get_script_prefix(), slug, roles)


@lru_cache(maxsize=1024)
def _menu(prefix: str, slug: str, roles: frozenset[str]):
    home = reverse("school_dashboard", kwargs={"school": slug})
    shown = []
    for name, label, more in MENU:
        if allowed_for(name, roles):
            url = reverse(name, kwargs={"school": slug})
            shown.append((url, label, (url, *(home + m for m in more))))
    return home, tuple(shown)


@lru_cache(maxsize=4096)
def _drawn_menu(prefix: str, slug: str, roles: frozenset[str], current: int | None) -> str:
    """The menu's HTML (templates/includes/menu.html): the same for every page of a school under the same item,
    so drawn once per process for each."""
    _, shown = _menu(prefix, slug, roles)
    items = [{"url": url, "label": label, "current": i == current} for i, (url, label, _) in enumerate(shown)]
    return get_template("includes/menu.html").render({"nav_items": items})


@receiver(setting_changed)
def _addresses_changed(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":  # a test with its own addresses
        _menu.cache_clear()
        _drawn_menu.cache_clear()
