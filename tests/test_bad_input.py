"""Junk posted to EVERY page of the access map that takes a POST: a 400, a 405 or a form error, never a 500
(the house rule: malformed form data gets a clear error, never a crash). The poster is a Headteacher with a
second factor, the password just confirmed and every policy accepted, so each form is really reached; trust
pages are posted to by the trust's admin.

If this fails for a page you added: validate its input with a form (or ``int()`` in a ``try``) and answer a
bad value with a form error or ``HttpResponseBadRequest``."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from saferstaff.access import ACCESS_MAP, CLOSED, PUBLIC, SIGNED_IN
from saferstaff.policies.models import PolicyVersion
from saferstaff.policies.status import accept
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .test_access_map import all_url_names, sample_kwargs

# Values a form must turn away politely: not a number, a negative number, a number too big for any column,
# a string far over any limit, a NUL character (PostgreSQL refuses it in text), an unknown choice.
JUNK = ["x", "-1", "99999999999999999999999", "a" * 5000, "nul\x00here", "not-a-choice", ""]
# Names that views read straight from request.POST (ids to delete, actions, choices).
EXTRA_NAMES = ["delete", "pk", "id", "action", "decision", "member", "pupil", "answer", "verdict", "channel"]


def _post_pages() -> list[str]:
    names = []
    for name, pattern in all_url_names():
        roles = ACCESS_MAP.get(name, frozenset())
        if name.startswith("<") or roles & {CLOSED, PUBLIC, SIGNED_IN}:
            continue
        if "school" in pattern.pattern.converters or "trust" in pattern.pattern.converters:
            names.append(name)
    return sorted(names)


def _field_names(html: str) -> list[str]:
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))
    return sorted(names - {"csrfmiddlewaretoken"})


def _everything_accepted(school):
    from saferstaff.schools.models import Membership

    for membership in Membership.objects.active().filter(school=school).select_related("user"):
        actor = Actor.of(membership.user, school)
        name = membership.user.get_full_name() or membership.user.email
        for version in PolicyVersion.objects.filter(school=school, status=PolicyVersion.Status.PUBLISHED):
            if version.policy.is_for(membership):
                accept(actor, version, typed_name=name, understood=True, ip_address=None)


TRUST_PAGES = {name for name, pattern in all_url_names() if "trust" in pattern.pattern.converters}


@pytest.mark.parametrize("name", _post_pages())
def test_junk_posted_to_every_page_is_never_a_500(name, cast):
    if name in TRUST_PAGES:
        user, url = cast.trust_admin, reverse(name, kwargs={"trust": cast.trust.slug})
    else:
        user, url = cast.head, reverse(name, kwargs=sample_kwargs(name, cast, cast.school, cast.head))
    _everything_accepted(cast.school)
    client = signed_in(user, confirmed=True)
    client.raise_request_exception = False
    page = client.get(url)
    html = page.content.decode(errors="replace") if page.status_code == 200 and not page.streaming else ""
    fields = _field_names(html)
    payloads = [{}] + [{field: value for field in fields + EXTRA_NAMES} for value in JUNK]
    payloads.append({field: ["x", "y"] for field in fields + EXTRA_NAMES})  # a list where one value is due
    payloads.append({field: SimpleUploadedFile("junk.bin", b"\x00junk") for field in fields + ["file"]})
    for data in payloads:
        response = client.post(url, data)
        shown = {k: (v[:20] if isinstance(v, str) else type(v).__name__) for k, v in list(data.items())[:3]}
        assert response.status_code != 500, f"{name}: a 500 for {shown} …"


HUGE_ID = 10**20  # a forged id too big for any integer column


def _id_pages() -> list[str]:
    return sorted(
        name
        for name, pattern in all_url_names()
        if not name.startswith("<")
        and "school" in pattern.pattern.converters
        and "pk" in pattern.pattern.converters
    )


@pytest.mark.parametrize("name", _id_pages())
def test_an_id_too_big_for_the_database_is_a_404_never_a_500(name, cast):
    """A forged id in the address (``faces/reference/99999999999999999999.jpg`` was a 500: the database
    cannot hold the number). Opened and posted to by a Headteacher who may open every page."""
    placeholder = 7_777_777  # reverse() itself refuses the huge id: put it in the address by hand
    kwargs = sample_kwargs(name, cast, cast.school, cast.head) | {"pk": placeholder}
    url = reverse(name, kwargs=kwargs).replace(str(placeholder), str(HUGE_ID))
    _everything_accepted(cast.school)
    client = signed_in(cast.head, confirmed=True)
    client.raise_request_exception = False
    for response in (client.get(url), client.post(url, {})):
        assert response.status_code in {400, 403, 404, 405}, f"{name}: {response.status_code} for {url}"
