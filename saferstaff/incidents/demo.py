"""The demo school's incidents, made through the doors as anyone's would be (called by ``load_demo``): a teacher's
report of a parent's abusive posts with a screenshot, triaged by the DSL with the platform and the police told
(§9); and an allegation about a member of staff waiting for its LADO referral (KCSIE Part 4)."""

import datetime
import io

from django.utils import timezone
from PIL import Image, ImageDraw

from saferstaff.incidents import services
from saferstaff.incidents.models import Case, Contact
from saferstaff.schools.roles import Actor


def _screenshot() -> bytes:
    """A made-up screenshot: a grey post with no words on it (the demo keeps no real content)."""
    image = Image.new("RGB", (390, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 16, 374, 224), outline="#b1b4b6", width=2)
    for y in range(48, 200, 24):
        draw.rectangle((32, y, 340, y + 10), fill="#dcdcdc")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load(school, users) -> None:
    teacher, dsl = Actor.of(users["teacher"], school), Actor.of(users["dsl"], school)
    member = school.memberships.get
    case = services.report(
        teacher, kind=Case.Kind.BULLYING_OF_STAFF, by_whom=Case.By.PARENTS, channel=Case.Channel.SOCIAL,
        happened_on=timezone.localdate() - datetime.timedelta(days=2),
        what_happened="A parent posted abusive comments about me on the class's Facebook group after parents' "
        "evening, and shared a photo of me.",
        people=[
            services.Person("target", member=member(user=users["teacher"])),
            services.Person("alleged", outsider="A parent of a pupil in my class (Facebook)"),
        ],
    )  # fmt: skip
    services.add_evidence(teacher, case, name="facebook-post.png", data=_screenshot())
    services.triage(dsl, case, risk="medium", assigned_to=users["dsl"])
    now = timezone.now()
    services.record_contact(
        dsl, case, kind=Contact.Kind.PLATFORM, made_at=now, with_whom="Facebook", reference="Report 2291",
        detail="Reported the posts and the photo as harassment.",
    )  # fmt: skip
    services.record_contact(
        dsl, case, kind=Contact.Kind.SUPPORT, made_at=now, with_whom="The DSL",
        detail="Offered time out of class and the Education Support Partnership's helpline.",
    )  # fmt: skip
    services.add_action(
        dsl, case, what="Meet the parent with the Headteacher", owner=member(user=users["head"]),
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    services.report_allegation(
        Actor.of(users["office"], school), about=member(user=users["agency"]),
        happened_on=timezone.localdate(), what_happened="A parent says a member of staff messaged their child "
        "privately on a personal account.",
    )  # fmt: skip
