"""What a walk through the conduct pages in a browser (phone and desktop, each role) found, each fixed and
kept fixed here: every form error says what to do about its own field, the menu shows where you are, the
concern log's link to a concern is in reach on a phone, and the Overview tells leaders what waits for them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.models import AuditEvent
from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel, Disclosure, EquipmentPermission
from saferstaff.schools.roles import Actor

from .conftest import signed_in

GENERIC = "This field is required."
# What a browser sends for a form left empty (a form with nothing at all sent is not bound: no errors).
BLANK = {"purpose": "", "what": "", "action": "", "reason": ""}


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def equipment_request(cast, by):
    return services.request_equipment(
        Actor.of(by, cast.school),
        device_kind=EquipmentPermission.Kind.PHONE,
        make_model="Apple iPhone 13",
        purpose="Calls to school on the farm trip",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=2),
        conditions=[],
        conditions_note="",
    )


def raise_concern(cast, by, about):
    return services.raise_concern(
        Actor.of(by, cast.school),
        subject=cast.member(about),
        happened_on=timezone.localdate() - datetime.timedelta(days=1),
        what="Took photos of the class on a personal phone",
    )


# --- Every form error says what to do, in the words of its field (not Django's "This field is required.") --
def errors_of(response) -> str:
    assert response.status_code in (200, 400), response.status_code
    return response.content.decode()


def test_an_empty_equipment_request_says_what_each_field_needs(cast):
    html = errors_of(signed_in(cast.teacher).post(url(cast, "equipment_request"), BLANK))
    assert GENERIC not in html
    for message in ("Choose what device", "Say what it is for", "Enter the date, or the first day"):
        assert message in html


def test_an_empty_contact_request_says_what_each_field_needs(cast):
    html = errors_of(signed_in(cast.teacher).post(url(cast, "contact_request"), BLANK))
    assert GENERIC not in html
    for message in ("Say what it is for", "Choose how", "Enter the first day", "Enter the last day"):
        assert message in html


def test_a_misspelt_date_asks_for_a_real_date(cast):
    html = errors_of(
        signed_in(cast.teacher).post(
            url(cast, "equipment_request"), {"starts_on": "31/02/2026", "ends_on": "x"}
        )
    )
    assert html.count("Enter a real date") >= 2  # once in the summary, once by each field at least


def test_an_empty_concern_says_what_each_field_needs(cast):
    html = errors_of(signed_in(cast.teacher).post(url(cast, "concern_new"), BLANK))
    assert GENERIC not in html
    for message in ("Choose who it is about", "Enter the date it happened", "Say what happened"):
        assert message in html


def test_an_empty_concern_outcome_says_what_each_field_needs(cast):
    concern = raise_concern(cast, cast.volunteer, cast.teacher)
    html = errors_of(signed_in(cast.head).post(url(cast, "concern_outcome", pk=concern.pk), BLANK))
    assert GENERIC not in html
    for message in ("Say why it is a low-level concern", "Say what action was taken", "Choose an outcome"):
        assert message in html


def test_an_empty_decision_asks_whether_to_approve(cast):
    permission = equipment_request(cast, cast.teacher)
    html = errors_of(signed_in(cast.slt).post(url(cast, "equipment_decide", pk=permission.pk), BLANK))
    assert GENERIC not in html
    assert "Choose whether to approve it" in html


def test_an_empty_channel_asks_for_its_name(cast):
    html = errors_of(signed_in(cast.head).post(url(cast, "contact_channels"), {"action": "add"}))
    assert GENERIC not in html
    assert "Enter the name of the platform or channel" in html


# --- The menu shows "Conduct" as where you are on every conduct page --------------------------------------
CONDUCT_CURRENT = (
    'aria-current="page"><strong class="govuk-service-navigation__active-fallback">Conduct</strong>'
)


def test_the_menu_shows_conduct_on_every_conduct_page(cast):
    permission = equipment_request(cast, cast.teacher)
    concern = raise_concern(cast, cast.volunteer, cast.teacher)
    head = signed_in(cast.head)
    pages = [
        url(cast, "contact_register"),
        url(cast, "contact_request"),
        url(cast, "equipment_register"),
        url(cast, "equipment_request"),
        url(cast, "equipment_detail", pk=permission.pk),
        url(cast, "concern_list"),
        url(cast, "concern_new"),
        url(cast, "concern_detail", pk=concern.pk),
        url(cast, "concern_person", pk=concern.subject_id),
        url(cast, "conduct_summary"),
    ]
    for page in pages:
        response = head.get(page)
        assert response.status_code == 200, page
        assert CONDUCT_CURRENT in response.content.decode(), (
            f"{page}: the menu does not show Conduct as current"
        )


# --- On a phone, the link to each concern (and each channel's button) is on the screen, not off to the side --
def stacked_tables(html: str) -> int:
    return html.count('<table class="govuk-table app-table--stacked">')


def test_the_concern_log_and_the_channels_stack_on_a_phone(cast):
    concern = raise_concern(cast, cast.volunteer, cast.teacher)
    head = signed_in(cast.head)
    concerns = head.get(url(cast, "concern_list")).content.decode()
    assert stacked_tables(concerns) == 2  # waiting, decided: the "Open" link is the last of five columns
    assert 'data-label="Raised by"' in concerns
    person = head.get(url(cast, "concern_person", pk=concern.subject_id)).content.decode()
    assert stacked_tables(person) == 1 and 'data-label="What happened"' in person
    channels = head.get(url(cast, "contact_channels")).content.decode()
    assert stacked_tables(channels) == 1 and 'data-label="Offered"' in channels


# --- The Overview tells leaders what waits for them in the conduct room ------------------------------------
def disclose(cast, by):
    channel = ContactChannel.objects.filter(school=cast.school, active=True).first()
    return services.disclose(
        Actor.of(by, cast.school),
        who=Disclosure.Who.THINK_PUPIL,
        who_text="says they are in Year 2",
        channel=channel,
        happened_on=timezone.localdate(),
        what_happened="A friend request last night",
    )


def overview(cast, user) -> str:
    response = signed_in(user).get(reverse("school_dashboard", kwargs={"school": cast.school.slug}))
    assert response.status_code == 200
    return response.content.decode()


def test_the_headteachers_overview_lists_what_waits_in_the_conduct_room(cast):
    disclose(cast, cast.teacher)
    equipment_request(cast, cast.teacher)
    for by in (cast.volunteer, cast.slt, cast.office):
        raise_concern(cast, by, cast.teacher)
    html = overview(cast, cast.head)
    assert "1 disclosure of contact with a pupil waiting for an outcome (§3)" in html
    assert "1 request to use personal equipment waiting for your decision (§6)" in html
    assert "3 low-level concerns waiting for an outcome (KCSIE Part 4)" in html
    assert "1 person has 3 or more low-level concerns in the last 12 months (KCSIE Part 4)" in html
    assert url(cast, "conduct_waiting") in html and url(cast, "concern_list") in html


def test_a_concern_about_the_headteacher_is_on_the_chairs_overview_never_the_headteachers(cast):
    raise_concern(cast, cast.teacher, cast.head)
    assert "low-level concern waiting" not in overview(cast, cast.head)
    assert "1 low-level concern waiting for an outcome (KCSIE Part 4)" in overview(cast, cast.governor)
    assert "waiting for an outcome" not in overview(cast, cast.teacher)  # staff decide nothing here


# --- Waiting for you tells one concern from another, and its list is recorded as a view of each ------------
def test_waiting_for_you_names_whom_each_concern_is_about(cast):
    first = raise_concern(cast, cast.volunteer, cast.teacher)
    second = raise_concern(cast, cast.teacher, cast.office)
    response = signed_in(cast.head).get(url(cast, "conduct_waiting"))
    html = response.content.decode()
    assert f"About {cast.member(cast.teacher).listed_name}," in html
    assert f"About {cast.member(cast.office).listed_name}," in html
    listed = AuditEvent.objects.filter(action="conduct.concerns_listed").latest("pk")
    assert listed.detail == {"concerns": [first.pk, second.pk]}  # ids only


# --- The asking pages: a way back to My conduct, and the error summary first -----------------------------
@pytest.mark.parametrize("page", ["equipment_request", "contact_request", "concern_new"])
def test_an_asking_page_leads_back_and_puts_its_errors_first(cast, page):
    response = signed_in(cast.teacher).post(url(cast, page), BLANK)
    html = response.content.decode()
    assert "<title>Error: " in html
    assert f'href="{url(cast, "conduct_mine")}">Back to My conduct</a>' in html
    assert html.index("govuk-error-summary") < html.index('<h1 class="govuk-heading-l">')


def test_the_person_who_asked_is_led_back_to_my_conduct_and_takes_their_request_back(cast):
    permission = equipment_request(cast, cast.teacher)
    mine = signed_in(cast.teacher).get(url(cast, "equipment_detail", pk=permission.pk)).content.decode()
    assert "Back to My conduct" in mine and "Take the request back" in mine
    decider = signed_in(cast.slt).get(url(cast, "equipment_detail", pk=permission.pk)).content.decode()
    assert "Back to the personal equipment register" in decider
    assert "Take the request back" not in decider and "Withdraw this request" in decider


def test_your_own_disclosure_says_what_you_did(cast):
    disclosure = disclose(cast, cast.teacher)
    page = url(cast, "disclosure_detail", pk=disclosure.pk)
    assert "What you did" in signed_in(cast.teacher).get(page).content.decode()
    assert "What they did" in signed_in(cast.head).get(page).content.decode()


# --- A register and the concern log offer their own CSV and PDF to whoever may export them -----------------
def test_the_registers_and_the_log_link_their_exports_for_the_headteacher_only(cast):
    pages = {"contact_register": "contact-register", "equipment_register": "equipment-register"}
    pages["concern_list"] = "concerns"
    for page, what in pages.items():
        html = signed_in(cast.head).get(url(cast, page)).content.decode()
        for name in ("conduct_export_csv", "conduct_export_pdf"):
            assert url(cast, name, what=what) in html, (page, name)
        others = signed_in(cast.slt if page != "concern_list" else cast.governor).get(url(cast, page))
        assert (
            url(cast, "conduct_export_csv", what=what) not in others.content.decode()
        )  # not theirs (access map)
