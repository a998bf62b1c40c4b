"""Every school-owned table carries ``school`` and every unique constraint includes it (DESIGN.md: this keeps
a later move to Postgres sharded by school open). New models are checked automatically."""

from django.apps import apps

# Tables that are not owned by one school: the school itself, trusts, people, and framework tables.
NOT_SCHOOL_OWNED = {
    "schools.school",
    "schools.trust",
    "schools.trustadmin",
    "accounts.user",
    "audit.auditevent",  # one chain across schools (school_id is recorded on each row)
    "notifications.notification",  # belongs to a person, who may be at several schools
}
OUR_APPS = {"accounts", "audit", "schools", "policy", "notifications", "acknowledgements"}


def our_models():
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in OUR_APPS and not label.split(".")[1].startswith("historical"):
            yield label, model


def test_school_owned_models_have_a_school_and_unique_constraints_include_it():
    problems = []
    for label, model in our_models():
        if label in NOT_SCHOOL_OWNED:
            continue
        fields = {f.name for f in model._meta.get_fields()}
        if "school" not in fields:
            problems.append(f"{label} has no 'school' field (or add it to NOT_SCHOOL_OWNED with a reason)")
            continue
        for constraint in model._meta.constraints:
            cols = getattr(constraint, "fields", ())
            if cols and "school" not in cols:
                problems.append(f"{label}: unique constraint {constraint.name} does not include 'school'")
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key and field.name != "school":
                problems.append(f"{label}.{field.name} is unique on its own; make it unique per school")
    assert not problems, "\n".join(problems)
