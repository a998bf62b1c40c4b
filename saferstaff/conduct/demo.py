"""Demo data for §3 and §6: a teacher's permission to message Year 1 about a trip on the school's messaging
platform, and a teaching assistant's permission to take her own phone on it, for calls only, no photographs.
Made through the doors, as anyone's would be. Called by ``load_demo``."""

import datetime

from django.utils import timezone

from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel, EquipmentPermission
from saferstaff.schools.roles import Actor


def load_permissions(school, users) -> None:
    today = timezone.localdate()
    trip = {"starts_on": today, "ends_on": today + datetime.timedelta(days=14)}
    deputy = Actor.of(users["deputy"], school)
    contact = services.request_contact(
        Actor.of(users["teacher"], school),
        channel=ContactChannel.objects.get(school=school, name="The school's messaging platform"),
        purpose="Reminders to Year 1 about the farm trip: kit, times, what to bring",
        year_groups=["1"],
        **trip,
    )
    services.decide(deputy, contact, approve=True)
    phone = services.request_equipment(
        Actor.of(users["agency"], school),
        device_kind=EquipmentPermission.Kind.PHONE,
        make_model="Apple iPhone 13",
        purpose="Calls to the school office from the farm trip",
        conditions=[EquipmentPermission.Condition.CALLS_ONLY, EquipmentPermission.Condition.NO_PHOTOS],
        **trip,
    )
    services.decide(deputy, phone, approve=True)
