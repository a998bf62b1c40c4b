"""One school never reaches another's data.

1. Every table a school owns carries ``school`` and every unique constraint includes it (DESIGN.md: this keeps
   a later move to PostgreSQL sharded by school open). Every model of every saferstaff room is checked, the
   ones added later too; a model that no one school owns is listed below with the reason.
2. Every page that opens an object by its id answers 404 when the object belongs to another school, for every
   role that may open that page at its own school, to a GET and to a POST. A new object page fails here, by
   name, until ``tests/test_access_map.py`` ``sample_kwargs`` can make one of its objects."""

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import timezone

from saferstaff.access import ACCESS_MAP, SIGNED_IN, TRUST_ADMIN
from saferstaff.notifications.models import Notification
from saferstaff.policies.models import Acceptance, PolicyVersion
from saferstaff.schools.models import Membership, Role, RoleGrant, School

from .conftest import signed_in
from .test_access_map import all_url_names, sample_kwargs

# --- 1. Every school-owned table carries the school ------------------------------------------------------

ROOMS = {config.label for config in apps.get_app_configs() if config.name.startswith("saferstaff.")}

# Models that no one school owns, and why. History tables follow the model they keep the history of.
NOT_SCHOOL_OWNED = {
    "schools.school": "the school itself",
    "schools.trust": "a trust or Local Authority runs several schools",
    "schools.trustadmin": "an admin of a trust, across all its schools",
    "accounts.user": "a person may work at several schools; Membership carries the school",
    "accounts.user_groups": "Django's table of a person's permission groups (not used by saferstaff)",
    "accounts.user_user_permissions": "Django's table of a person's own permissions (not used by saferstaff)",
    "audit.auditevent": (
        "a hash chain per school (chain = the school's id, 0 for rows of no school; unique on chain and seq) "
        "and school_id a plain number, not a foreign key: nothing removed may touch the chain"
    ),
    "audit.generation": (
        "a count of each school's changes (scope = the school's id, 0 for events of no school), bumped with "
        "the audit row; a plain number like audit.auditevent's school_id"
    ),
    "audit.keptfortheday": (
        "counts worked out from a school's records for a trust's page, kept for the day under a key naming the "
        "school's id and generation (like audit.generation); deleted each day, nothing to isolate by school"
    ),
    "notifications.notification": "belongs to a person, who may be at several schools (school is optional)",
    "ops.workerbeat": "a task worker's last sign of life (its id and a time): workers serve every school",
    "notifications.sentemail": (
        "that one email left, by a key naming what it was for (notification:12): no address, no content; "
        "the row it names carries the school"
    ),
    # §8 subject access: rows of a request (its AccessRequest carries the school), reached only through it.
    "photos.activity_purposes": (
        "Django's automatic table joining an activity to its uses (Activity.purposes), both rows of one "
        "school; carrying the school needs an explicit through model"
    ),
    **{
        f"privacy.sharing_about_{who}": (
            f"Django's automatic table joining an entry of the sharing log to the {who} it is about, both rows "
            "of one school (privacy.sharing's doors check it)"
        )
        for who in ("pupils", "members")
    },
}

# Unique fields that stand alone (not per school), each a one-to-one with a row of the same school, and why.
UNIQUE_ON_THEIR_OWN = {
    "publishing.publicationrequest.publication": (
        "a one-to-one with the Publication it made, itself a row of the same school; per school it would "
        "be a foreign key with a unique constraint on (school, publication)"
    ),
    # §9, KCSIE Part 4: each a one-to-one with a row of the same school, set by a door from that row.
    "incidents.case.from_concern": "one allegation per low-level concern escalated (the concern's own school)",
    "incidents.capture.evidence": "the one item a capture kept (added to the capture's own case)",
    "incidents.note.replaces": "the one later version of a note (written on the note's own case)",
}


def room_models():
    """Every model of every saferstaff room, the automatic many-to-many tables and the history tables too."""
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in ROOMS:
            yield model._meta.label_lower, model


def exemption(model) -> str | None:
    label = model._meta.label_lower
    if label in NOT_SCHOOL_OWNED:
        return NOT_SCHOOL_OWNED[label]
    kept = getattr(model, "instance_type", None)  # simple_history: the model this table keeps the history of
    if kept is not None and kept._meta.label_lower in NOT_SCHOOL_OWNED:
        return f"the history of {kept._meta.label_lower}"
    return None


def school_problems(label, model) -> list[str]:
    try:
        school = model._meta.get_field("school")
    except FieldDoesNotExist:
        return [f"{label} has no 'school' field (or list it in NOT_SCHOOL_OWNED with the reason)"]
    problems = []
    if not (school.is_relation and school.related_model is School):
        problems.append(f"{label}.school is not a foreign key to schools.School")
    elif school.null and getattr(model, "instance_type", None) is None:  # history rows may outlive it
        problems.append(f"{label}.school may be empty; a school-owned row always has its school")
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint):
            continue
        if not constraint.fields:
            problems.append(
                f"{label}: unique constraint {constraint.name} is on expressions; name its fields"
            )
        elif "school" not in constraint.fields:
            problems.append(f"{label}: unique constraint {constraint.name} does not include 'school'")
    for together in model._meta.unique_together:
        if "school" not in together:
            problems.append(f"{label}: unique_together {together} does not include 'school'")
    for field in model._meta.local_fields:
        if field.unique and not field.primary_key and field.name != "school":
            if f"{label}.{field.name}" not in UNIQUE_ON_THEIR_OWN:
                problems.append(f"{label}.{field.name} is unique on its own; make it unique per school")
    return problems


def test_school_owned_models_have_a_school_and_unique_constraints_include_it():
    problems = []
    for label, model in room_models():
        if exemption(model) is None:
            problems += school_problems(label, model)
    assert not problems, "\n".join(problems)


def test_the_check_reaches_every_room():
    checked = {label.split(".")[0] for label, model in room_models() if exemption(model) is None}
    rooms = {
        "schools",
        "policies",
        "consent",
        "photos",
        "biometrics",
        "publishing",
        "postcheck",
        "conduct",
        "incidents",
    }
    assert rooms <= checked, f"no school-owned model checked in {rooms - checked}"


def test_every_exemption_names_a_real_model_that_still_needs_it():
    labels = dict(room_models())
    stale = [label for label in NOT_SCHOOL_OWNED if label not in labels]
    assert not stale, f"NOT_SCHOOL_OWNED names models that do not exist (remove them): {stale}"
    for entry in UNIQUE_ON_THEIR_OWN:
        label, _, field = entry.rpartition(".")
        assert label in labels, f"UNIQUE_ON_THEIR_OWN: no model {label}"
        assert labels[label]._meta.get_field(field).unique, f"{entry} is no longer unique: remove it"


# --- 2. Another school's object is a 404 -----------------------------------------------------------------

# Pages that take something besides the school but open no school's object by id, and why.
NOT_OBJECT_PAGES = {
    "portal": "a guardian's signed, expiring token, no school in the address (tests/test_images_consent.py)",
    "portal_receipt": "the same token and a receipt code (tests/test_images_consent.py)",
    **{
        name: "names a kind of export, not a record: always the page's own school (test_conduct_concern_pages.py)"
        for name in ("conduct_export_csv", "conduct_export_pdf")
    },
    "retention_rule": (
        "names a kind of record (privacy.kinds), not a record: a school's own period is always the page's own "
        "school's (tests/test_privacy_retention.py)"
    ),
}


def object_pages() -> list[str]:
    """Every saferstaff page whose address names something besides the school or the trust."""
    return sorted(
        name
        for name, pattern in all_url_names()
        if pattern.callback.__module__.startswith("saferstaff.")
        and set(pattern.pattern.converters) - {"school", "trust"}
        and name not in NOT_OBJECT_PAGES
    )


def a_notification(cast) -> tuple[int, object]:
    note = Notification.objects.create(user=cast.other_teacher, school=cast.other_school, kind="x", title="t")
    return note.pk, cast.other_teacher


def an_invitation(cast) -> tuple[int, object]:
    invitation = Membership.objects.create(
        school=cast.other_school, user=cast.nobody, invited_at=timezone.now(), invited_name="Nora Nobody"
    )
    return invitation.pk, cast.nobody


# Pages open to anyone signed in that open one person's own object (no school in the address): the object
# belongs to someone at the other school, and its builder returns its id and that person.
PERSONAL_OBJECTS = {"notification_open": a_notification, "invitation_accept": an_invitation}


def test_the_walk_covers_the_object_pages():
    pages = object_pages()
    assert len(pages) >= 45, pages  # as of the rooms' layout: a sudden drop means the walk lost its way
    stale = set(NOT_OBJECT_PAGES) - {name for name, _ in all_url_names()}
    assert not stale, f"NOT_OBJECT_PAGES names pages that do not exist (remove them): {stale}"
    personal = {name for name in pages if SIGNED_IN in ACCESS_MAP[name]}
    assert personal == set(PERSONAL_OBJECTS), (
        f"pages for anyone signed in that take an id: {sorted(personal)}; teach PERSONAL_OBJECTS each one"
    )


def everyone_who_may_open(name, cast) -> dict[str, object]:
    """One person of the first school for each role the access map lets open ``name``."""
    people = {**cast.by_role(), TRUST_ADMIN: cast.trust_admin}
    if SIGNED_IN in ACCESS_MAP[name]:
        return people
    return {role: people[role] for role in sorted(ACCESS_MAP[name]) if role in people}


def its_own_school(name, cast):
    """The other school's teacher, given every role the map allows for ``name`` (the test's own grant),
    signed in: someone who may open the page at the object's own school."""
    member = cast.member(cast.other_teacher, cast.other_school)
    for role in {role for role in ACCESS_MAP[name] if role in Role.values} - set(member.roles):
        RoleGrant.objects.create(school=cast.other_school, membership=member, role=role)
    # §2's gate would send them to accept the sample policy first: they have accepted it.
    for version in PolicyVersion.objects.filter(school=cast.other_school, status="published"):
        Acceptance.objects.get_or_create(
            school=cast.other_school,
            version=version,
            user=cast.other_teacher,
            defaults={"typed_name": "Otto Teacher", "text_sha256": version.text_sha256},
        )
    return signed_in(cast.other_teacher, confirmed=True)


@pytest.mark.parametrize("name", object_pages())
def test_an_object_of_another_school_is_404_through_my_own_school(name, cast):
    # The object belongs to the other school (to its teacher, where objects belong to one person). Each
    # person of the first school who may open such a page asks for it under their own school's address.
    if SIGNED_IN in ACCESS_MAP[name] and name not in PERSONAL_OBJECTS:
        pytest.fail(f"{name} opens an object by id for anyone signed in: teach PERSONAL_OBJECTS to make one")
    if name in PERSONAL_OBJECTS:
        pk, owner = PERSONAL_OBJECTS[name](cast)
        kwargs = {"pk": pk}
        url = own_url = reverse(name, kwargs=kwargs)
        owners_client = signed_in(owner)
    else:
        kwargs = sample_kwargs(name, cast, cast.other_school, cast.other_teacher)
        url = reverse(name, kwargs={**kwargs, "school": cast.school.slug})
        own_url = reverse(name, kwargs={**kwargs, "school": cast.other_school.slug})
        owners_client = None
    wrong, refused = [], set()
    for role, user in everyone_who_may_open(name, cast).items():
        client = signed_in(user, confirmed=True)  # past the step-up some pages ask for first
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            if status == 405:
                refused.add(method)  # fine if the page takes no such request at all: checked below
            elif status != 404:
                wrong.append(f"{method.upper()} as {role}: {status}")
    assert not wrong, f"{name} {url} answered for another school's object: " + ", ".join(wrong)
    # The object is real: at its own school the same page finds it; and a 405 above is the page's answer
    # to every such request, not a way round the object's school.
    owners_client = owners_client or its_own_school(name, cast)
    own = {"get": owners_client.get(own_url).status_code}
    if own["get"] == 405 or "post" in refused:
        own["post"] = owners_client.post(own_url).status_code
    assert any(status not in (404, 405) for status in own.values()), (
        f"{name}: the sample object is not found at its own school ({own})"
    )
    for method in refused:
        assert own[method] == 405, (
            f"{name} refused a {method.upper()} with 405 but takes one at its own school"
        )
