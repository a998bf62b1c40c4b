"""How many of each policy's audience have accepted it, for many schools at once (§2): the trust's pages and the
oversight figures. Counted as the school's own dashboard counts (``status.audience_states``, ``status.tally``),
from plain tuples rather than model instances, in a fixed number of queries however many schools."""

import datetime
from dataclasses import dataclass

from saferstaff.audit.log import kept_each
from saferstaff.policies.models import Acceptance, PolicyVersion
from saferstaff.policies.status import _chains, audience_states, still_honoured, tally
from saferstaff.schools.models import Membership, RoleGrant, School


def trust_overview(trust) -> dict:
    """Every school of a trust × its published policies: how many of each policy's audience have accepted
    it — by the same audience test and the same ``member_state`` as the school's own page, so the two pages
    never disagree. Each school's cells are kept per state of that school (``audit.log.kept_each``, ADR 0014):
    a change at one school works out that school again, and the page reads the rest as kept (two queries
    for the whole trust when nothing changed)."""
    schools = list(School.objects.filter(trust=trust).order_by("name").values_list("pk", "name", "slug"))
    ids = [pk for pk, _, _ in schools]

    def work_out(missing: list[int]) -> dict:
        # Every school: by a join on the trust, the same SQL however many schools it runs.
        counts = acceptance_counts(missing, {"school__trust": trust} if len(missing) == len(ids) else None)
        return {
            pk: {item["policy"].title: (item["accepted"], item["audience"]) for item in items}
            for pk, items in counts.items()
        }

    among = School.objects.filter(trust=trust).values("pk")
    cells_of = kept_each("trust-acceptance", ids, work_out, among)
    titles = sorted({title for cells in cells_of.values() for title in cells})
    rows = [
        {"name": name, "slug": slug, "cells": [cells_of[pk].get(title) for title in titles]}
        for pk, name, slug in schools
    ]
    return {"titles": titles, "rows": rows}


def acceptance_counts(school_ids: list[int], where: dict | None = None) -> dict[int, list[dict]]:
    """{school: [{policy, version, audience, accepted, declined, to_accept}, ...]} for the schools given, by
    title, in four queries however many (200 schools × 60 staff × 5 policies is the design point): members,
    roles, versions and acceptances read as plain tuples and counted by ``audience_states`` and ``tally``, as
    the school's own dashboard counts them. ``where``: the same schools, said another way (a join on their
    trust)."""
    where = where or {"school_id__in": school_ids}
    versions = _light_versions(where)
    members: dict[int, list[tuple[int, int, str]]] = {pk: [] for pk in school_ids}
    rows = Membership.objects.active().filter(**where).order_by()  # not by name: that joins every person
    for pk, school_id, user_id, employment in rows.values_list(
        "pk", "school_id", "user_id", "employment_type"
    ):
        members[school_id].append((pk, user_id, employment))
    roles: dict[int, tuple[str, ...]] = {}  # tuples, not sets: thousands of sets kept the collector busy
    for membership_id, role in RoleGrant.objects.filter(**where).values_list("membership_id", "role"):
        roles[membership_id] = roles.get(membership_id, ()) + (role,)
    chains_by_school: dict[int, list] = {}
    for policy, current, relevant in _chains(versions):
        chains_by_school.setdefault(current.school_id, []).append((policy, current, relevant))
    # The latest outcome per school, person and version, of the versions ``member_state`` reads (the ones still
    # honoured): an outcome of an older version never counts, so it is not read.
    honoured = [
        v.pk for chains in chains_by_school.values() for _, _, rel in chains for v in still_honoured(rel)
    ]
    outcomes: dict[int, dict[int, dict[int, str]]] = {pk: {} for pk in school_ids}
    rows = Acceptance.objects.filter(**where, version_id__in=honoured).order_by("accepted_at", "pk")
    for school_id, user_id, version_id, outcome in rows.values_list(
        "school_id", "user_id", "version_id", "outcome"
    ):
        outcomes[school_id].setdefault(user_id, {})[version_id] = outcome
    table = {}
    for pk in school_ids:
        groups: dict[tuple[tuple[str, ...], str], list[int]] = {}
        for member_pk, user_id, employment in members[pk]:
            groups.setdefault((roles.get(member_pk, ()), employment), []).append(user_id)
        items = [
            {
                "policy": policy,
                "version": current,
                **tally(audience_states(policy, relevant, groups, outcomes[pk])),
            }
            for policy, current, relevant in chains_by_school.get(pk, [])
        ]
        table[pk] = sorted(items, key=lambda item: item["policy"].title)
    return table


@dataclass(frozen=True)
class _LightPolicy:
    pk: int
    school_id: int
    title: str
    compulsory: bool
    audience_roles: list
    audience_employment: list


@dataclass(frozen=True)
class _LightVersion:
    """Just what ``_chains`` reads, as plain tuples: building thousands of model instances costs more than
    the trust page's whole budget."""

    pk: int
    school_id: int
    policy_id: int
    number: int
    status: str
    minor_change: bool
    published_at: datetime.datetime | None
    policy: _LightPolicy


def _light_versions(where: dict) -> list[_LightVersion]:
    """The versions (drafts aside) of every policy of the schools ``where`` picks, each with its policy: one
    query."""
    rows = (
        PolicyVersion.objects.filter(**where)
        .exclude(status=PolicyVersion.Status.DRAFT)
        .order_by("policy_id", "-number")
        .values_list(
            "pk", "school_id", "policy_id", "number", "status", "minor_change", "published_at",
            "policy__title", "policy__compulsory", "policy__audience_roles", "policy__audience_employment",
        )
    )  # fmt: skip
    policies: dict[int, _LightPolicy] = {}
    versions = []
    for pk, school_id, policy_id, number, status, minor, published, title, compulsory, roles, kinds in rows:
        if policy_id not in policies:
            policies[policy_id] = _LightPolicy(
                policy_id, school_id, title, compulsory, roles or [], kinds or []
            )
        versions.append(
            _LightVersion(pk, school_id, policy_id, number, status, minor, published, policies[policy_id])
        )
    return versions
