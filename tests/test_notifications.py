from django.core import mail
from django.urls import reverse

from saferstaff.notifications.models import Notification
from saferstaff.notifications.service import notify
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Activity
from saferstaff.schools.models import Role
from saferstaff.schools.staff import add_staff, set_roles

from .conftest import signed_in
from .image_samples import PERSONAL_PHONE, approved_activity, jpeg


def test_the_alert_email_says_only_that_there_is_something_new(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(
            cast.dsl, kind="contact.disclosed", title="Tom disclosed contact with Amelia O.", url="/x/"
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.dsl.email] and message.subject == "You have a new item in saferstaff"
    assert "Amelia" not in message.body and "Tom" not in message.body
    assert reverse("notification_open", kwargs={"pk": note.pk}) in message.body
    assert Notification.objects.get(pk=note.pk).emailed_at is not None


def test_no_email_until_the_transaction_commits(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(cast.dsl, kind="k", title="t")
    assert len(mail.outbox) == 0 and len(callbacks) == 1


def test_the_list_shows_my_items_and_opening_one_marks_it_read(cast):
    mine = notify(cast.teacher, kind="k", title="Your roles changed", url="/schools/", email=False)
    notify(cast.dsl, kind="k", title="Not for the teacher", email=False)
    client = signed_in(cast.teacher)
    page = client.get(reverse("notification_list")).content.decode()
    assert "Your roles changed" in page and "Not for the teacher" not in page
    response = client.get(reverse("notification_open", kwargs={"pk": mine.pk}))
    assert response.status_code == 302 and response["Location"] == "/schools/"
    assert Notification.objects.get(pk=mine.pk).read_at is not None


def test_an_offsite_link_in_a_notification_is_not_followed(cast):
    note = notify(cast.teacher, kind="k", title="t", url="https://evil.example/", email=False)
    response = signed_in(cast.teacher).get(reverse("notification_open", kwargs={"pk": note.pk}))
    assert response["Location"] == reverse("notification_list")


# --- What each notification says: everything in the app, nothing in the email -----------------------------


def _the_one_email_says_nothing(*words):
    (message,) = mail.outbox
    assert message.subject == "You have a new item in saferstaff"
    for word in words:
        assert word.lower() not in (message.subject + message.body).lower(), word
    mail.outbox.clear()


def test_a_role_change_page_says_in_the_app_which_role_and_where_and_the_email_does_not(
    cast, django_capture_on_commit_callbacks
):
    url = reverse("staff_roles", kwargs={"school": cast.school.slug, "pk": cast.member(cast.teacher).pk})
    head = signed_in(cast.head, confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert head.post(url, {"roles": ["staff", "dsl"]}).status_code == 302
    note = Notification.objects.get(user=cast.teacher)
    assert note.title == "You were given the role Designated safeguarding lead at Westfield Infant"
    _the_one_email_says_nothing("safeguarding", "Westfield", "role")
    with django_capture_on_commit_callbacks(execute=True):
        head.post(url, {"roles": ["line_manager"]})
    note = Notification.objects.filter(user=cast.teacher).latest("pk")
    assert note.title == (
        "At Westfield Infant you were given the role Line manager; the roles Designated safeguarding lead and "
        "Staff were taken away"
    )
    _the_one_email_says_nothing("safeguarding", "Westfield", "Line manager")


def test_only_a_role_taken_away_is_said_too(cast):
    set_roles(cast.member(cast.office), {Role.STAFF}, by=cast.head)
    note = Notification.objects.get(user=cast.office)
    assert note.title == "At Westfield Infant the role School office was taken away"


def test_someone_added_to_a_second_school_is_told_where_and_with_which_roles(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_staff(
            cast.other_school, email=cast.teacher.email, first_name="T", last_name="T",
            roles={Role.GOVERNOR, Role.STAFF}, by=cast.trust_admin,
        )  # fmt: skip
    note = Notification.objects.get(user=cast.teacher, kind="membership.invited")
    assert (
        note.title
        == "Moorside Primary has invited you to join it in saferstaff with the roles Governor and Staff"
    )
    _the_one_email_says_nothing("Moorside", "Governor")


def test_a_photo_activity_decision_names_the_activity(cast, storage):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.REQUESTED, decided_by=None)
    decide = reverse("activity_decide", kwargs={"school": cast.school.slug, "pk": activity.pk})
    signed_in(cast.slt).post(decide, {"decision": "approve", "note": "Fine"})
    note = Notification.objects.get(user=cast.teacher, kind="images.activity.decided")
    assert note.title == "Your photo activity Nativity play was approved (§5)"


def test_images_from_an_unregistered_camera_name_the_activity(cast, storage):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    add_images(activity, [("p.jpg", jpeg(**PERSONAL_PHONE))], by=cast.teacher)
    note = Notification.objects.get(user=cast.head, kind="images.flagged")
    assert note.title == "1 image in Nativity play from a camera not in the device register (§6)"
