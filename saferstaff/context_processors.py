from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from saferstaff.access import allowed_for
from saferstaff.accounts.adapters import sign_in_buttons, sign_in_choices
from saferstaff.schools.roles import standing_of


def saferstaff(request):
    ctx = {"STATIC_PREFIX": settings.STATIC_URL, "current_school": None, "nav_items": []}
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
    roles = request.roles
    # Each menu item is current on every page under its address (a room's pages live under its path); the
    # photos room's pages live under a few paths of their own.
    items = [
        ("school_dashboard", "Overview", ()),
        ("staff_list", "Staff", ()),
        ("policy_list", "Policies", ()),
        ("draft_check", "Check a post", ()),
        ("pupil_list", "Pupils", ()),
        ("consent_register", "Consent", ()),
        (
            "activity_list",
            "Photos",
            ("images/", "devices/", "publications/", "screenings/", "faces/", "takedowns/"),
        ),
        ("conduct_mine", "Conduct", ()),
        ("incidents_mine", "Incidents", ()),
        ("privacy_home", "Data protection", ()),
        ("roster_upload", "Import from MIS", ()),
        ("audit_trail", "Audit trail", ()),
        ("school_settings", "Settings", ()),
        ("closure_days", "Closure days", ()),
    ]
    home = reverse("school_dashboard", kwargs={"school": school.slug})
    shown = []
    for name, label, more in items:
        if allowed_for(name, roles):
            url = reverse(name, kwargs={"school": school.slug})
            shown.append(
                {"url": url, "label": label, "current": False, "under": [url, *(home + m for m in more)]}
            )
    # The longest address the page is under wins (Closure days within Settings); the Overview only on itself.
    under = [
        (len(u), item)
        for item in shown
        for u in item["under"]
        if (request.path == u if u == home else request.path.startswith(u))
    ]
    if under:
        max(under, key=lambda pair: pair[0])[1]["current"] = True
    ctx["nav_items"] = [{k: v for k, v in item.items() if k != "under"} for item in shown]
    return ctx
