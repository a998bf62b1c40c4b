"""The compulsory-policy gate holds for form submissions too (§2), clicked through in Chromium on the demo
school: a teacher has a form open in two tabs when the Headteacher publishes a policy; sending it is refused
(nothing is written, the teacher is sent to accept), and once the teacher has accepted, the same form sent
from the other tab works. Every page is checked with axe-core."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.photos.models import Activity
from saferstaff.policies.models import PolicyKind
from saferstaff.policies.services import import_policy, publish_version
from saferstaff.schools.models import School
from tests.browser.conftest import PHONE
from tests.browser.support import fill_photo_activity_request, fits, follow, success

pytestmark = pytest.mark.browser

POLICY = (
    b"Section 1 - Overview\n\nThis guidance applies to everyone at [name of school].\n\n"
    b"Section 2 - Photos\n\nOnly school devices take photos of pupils.\n"
)
TITLE = "Year 1 trip to the farm"


def test_a_form_sent_before_accepting_a_new_policy_is_refused_then_works_once_accepted(
    new_page, sign_in, axe_check, demo
):
    school_slug = demo.school_slug
    teacher = new_page("teacher, first tab", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(teacher, "teacher")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Overview")  # nothing to accept yet
    teacher.goto(demo.url("activities/"))  # on a phone the menu is folded: the address, as from a bookmark
    axe_check(teacher)
    follow(teacher, axe_check, teacher.get_by_role("link", name="Request a photo activity"))
    form_url = teacher.url
    today = timezone.localdate().isoformat()
    fill_photo_activity_request(teacher, TITLE, "Moorside Farm", today)
    # The same form, filled in the same way, in a second tab of the same browser.
    other = teacher.context.new_page()
    axe_check.watch(other, "teacher, second tab")
    other.goto(form_url)
    axe_check(other)
    fill_photo_activity_request(other, TITLE, "Moorside Farm", today)

    # Meanwhile the Headteacher publishes a policy everyone must accept.
    head = User.objects.get(email=demo.email("head"))
    version, _notes = import_policy(
        School.objects.get(slug=school_slug),
        title="Staff photo guidance",
        kind=PolicyKind.ONLINE_SAFETY,
        filename="photos.txt",
        data=POLICY,
        by=head,
    )
    assert publish_version(version, by=head, minor_change=False)

    # Sending the form is refused: nothing is written and the teacher is sent to the policies to accept.
    follow(teacher, axe_check, teacher.get_by_role("button", name="Send for approval"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Your policies")
    assert teacher.url.endswith(demo.url("policies/to-accept/")), teacher.url
    assert not Activity.objects.filter(school__slug=school_slug, title=TITLE).exists()
    fits(teacher)

    # The teacher reads and accepts it, and is let through.
    follow(teacher, axe_check, teacher.get_by_role("link", name="Staff photo guidance"))
    teacher.get_by_label("I have read and understood this policy").check()
    teacher.get_by_label("Your full name").fill("Tom Ackroyd")
    follow(teacher, axe_check, teacher.get_by_role("button", name="Accept", exact=True))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Overview")

    # The same submission, from the tab still holding the form, now goes through.
    follow(other, axe_check, other.get_by_role("button", name="Send for approval"))
    expect(success(other)).to_contain_text("Sent to senior management for approval.")
    activity = Activity.objects.get(school__slug=school_slug, title=TITLE)
    assert activity.requested_by.email == demo.email("teacher")
    assert activity.status == Activity.Status.REQUESTED
