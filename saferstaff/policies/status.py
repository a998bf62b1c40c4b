"""Who still has to accept what. A member has accepted a policy when they accepted its published version,
or an earlier version with only minor changes (typos) since. An optional policy can be declined instead."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from saferstaff import scans
from saferstaff.audit.log import record
from saferstaff.policies.models import Acceptance, Policy, PolicyVersion, in_audience
from saferstaff.rules.engine import enforce
from saferstaff.rules.policies import may_accept, may_accept_on_behalf, may_decline
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import Actor

ACCEPTED, DECLINED, TO_ACCEPT = "accepted", "declined", "to_accept"


def _state(versions_desc: list[PolicyVersion], outcomes: dict[int, str]) -> str:
    """``versions_desc``: the policy's versions from the published one downwards; ``outcomes``: the member's
    latest outcome per version id."""
    for version in still_honoured(versions_desc):
        if version.pk in outcomes:
            return outcomes[version.pk]
    return TO_ACCEPT


def still_honoured(versions_desc: list[PolicyVersion]) -> list[PolicyVersion]:
    """The versions whose outcome still stands (``versions_desc``: from the published one downwards): the
    published one and, while a version changed only minor things (typos), the one before it. An outcome of
    any older version does not count: a real change since, it must be read again."""
    honoured = []
    for version in versions_desc:
        honoured.append(version)
        if not version.minor_change:
            break
    return honoured


def _published_versions(school_id: int, *, compulsory_only: bool = False) -> list[PolicyVersion]:
    if compulsory_only:
        return _published_versions_for([school_id], policy__compulsory=True)
    return _published_versions_for([school_id])


def _chains(versions: list[PolicyVersion]):
    """For each policy with a published version: (policy, that version, it and the versions before it)."""
    by_policy: dict[int, list[PolicyVersion]] = {}
    for version in versions:
        by_policy.setdefault(version.policy_id, []).append(version)
    for chain in by_policy.values():
        published = [v for v in chain if v.status == PolicyVersion.Status.PUBLISHED]
        if published:
            current = published[0]
            yield current.policy, current, [v for v in chain if v.number <= current.number]


def member_state(policy, relevant: list[PolicyVersion], outcomes: dict[int, str]) -> str:
    """THE definition of where one member stands with one policy (every page that counts "accepted" asks
    this): ``relevant`` is the policy's published version and those before it, newest first; ``outcomes``
    the member's latest outcome per version id (other versions' ids may be in it too)."""
    state = _state(relevant, outcomes)
    return (
        TO_ACCEPT if state == DECLINED and policy.compulsory else state
    )  # made compulsory since it was declined


def policies_for(membership, *, compulsory_only: bool = False) -> list[tuple[Policy, PolicyVersion, str]]:
    """(policy, its published version, state) for every published policy in the member's audience (only the
    compulsory ones with ``compulsory_only``). The member's answers are read only when a policy is for them."""
    chains = [
        (policy, current, relevant)
        for policy, current, relevant in _chains(
            _published_versions(membership.school_id, compulsory_only=compulsory_only)
        )
        if policy.is_for(membership)
    ]
    if not chains:
        return []
    outcomes: dict[int, str] = {}
    rows = Acceptance.objects.filter(school_id=membership.school_id, user_id=membership.user_id)
    for version_id, outcome in rows.order_by("accepted_at", "pk").values_list("version_id", "outcome"):
        outcomes[version_id] = outcome  # the latest one wins
    result = [
        (policy, current, member_state(policy, relevant, outcomes)) for policy, current, relevant in chains
    ]
    return sorted(result, key=lambda item: item[0].title)


def outstanding_compulsory(membership) -> list[PolicyVersion]:
    """Asked on every school page (policies.middleware): only the compulsory policies' versions are read."""
    return [
        version
        for policy, version, state in policies_for(membership, compulsory_only=True)
        if policy.compulsory and state == TO_ACCEPT
    ]


def state_of(membership, version: PolicyVersion) -> str | None:
    return next((state for _, v, state in policies_for(membership) if v.pk == version.pk), None)


def accept(
    actor: Actor,
    version: PolicyVersion,
    *,
    typed_name: str,
    understood: bool,
    wrong_answers: int = 0,
    ip_address: str | None,
) -> Acceptance:
    """The one door for a person's own acceptance of ``version`` (§2): the rule (``may_accept``: the version in
    force, addressed to them, their name typed, understanding confirmed, the questions answered rightly) is
    asked here, so no page or command records an acceptance without it. Raises Refused with the reasons."""
    decision = may_accept(
        actor, subject=version, typed_name=typed_name, understood=understood, wrong_answers=wrong_answers
    )
    enforce(decision)
    membership = actor.at(version.school_id).membership
    return _record(membership, version, typed_name=typed_name, ip_address=ip_address)


def decline(actor: Actor, version: PolicyVersion, *, reason: str, ip_address: str | None) -> Acceptance:
    """The one door for declining an optional policy, with a reason (§2; ``may_decline``)."""
    decision = may_decline(actor, subject=version, reason=reason)
    enforce(decision)
    membership = actor.at(version.school_id).membership
    return _record(
        membership,
        version,
        typed_name=actor.user.get_full_name(),
        ip_address=ip_address,
        outcome=Acceptance.Outcome.DECLINED,
        decline_reason=reason,
    )


def accept_on_behalf(actor: Actor, version: PolicyVersion, *, member, note: str, evidence=None) -> Acceptance:
    """The one door for the Headteacher recording ``member``'s acceptance from a signed paper form (§2;
    ``may_accept_on_behalf``: with a note and the scan, never their own)."""
    decision = may_accept_on_behalf(
        actor, subject=version, member=member, note=note, has_evidence=evidence is not None
    )
    enforce(decision)
    return _record(
        member,
        version,
        typed_name=member.user.get_full_name(),
        ip_address=None,
        on_behalf_by=actor.user,
        note=note,
        evidence=evidence,
    )


def _record(
    membership,
    version: PolicyVersion,
    *,
    typed_name: str,
    ip_address: str | None,
    outcome: str = Acceptance.Outcome.ACCEPTED,
    decline_reason: str = "",
    on_behalf_by=None,
    note: str = "",
    evidence=None,
) -> Acceptance:
    """Write the outcome the door allowed; if the member already has that outcome for ``version``, the row
    already there is returned and nothing is written (a resubmitted form, the Back button)."""
    existing = Acceptance.objects.filter(
        school_id=membership.school_id, version=version, user_id=membership.user_id, outcome=outcome
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            acceptance = Acceptance(
                school_id=membership.school_id,
                version=version,
                user_id=membership.user_id,
                typed_name=typed_name.strip()[:200],
                text_sha256=version.text_sha256,
                ip_address=ip_address,
                outcome=outcome,
                decline_reason=decline_reason.strip(),
                on_behalf_by=on_behalf_by,
                note=note.strip(),
            )
            if evidence is not None:
                acceptance.evidence.save(scans.stored_name(evidence), evidence, save=False)
            acceptance.save()
            action = "policy.declined" if outcome == Acceptance.Outcome.DECLINED else "policy.accepted"
            detail = {"acceptance": acceptance.pk, "on_behalf": on_behalf_by is not None}
            record(action, version, school=membership.school_id, detail=detail)
    except IntegrityError:  # the same form sent twice at once: the other request wrote it
        return Acceptance.objects.get(
            school_id=membership.school_id, version=version, user_id=membership.user_id, outcome=outcome
        )
    return acceptance


def audience_states(policy, relevant, groups: dict, outcomes: dict) -> dict[int, str]:
    """THE count of where a policy's audience stands (§2), for the policy dashboard, the trust page and the
    oversight figures alike: {user id: state} for every member in the policy's audience. ``groups``: the
    school's members by what the audience test reads, {(roles, employment): [user ids]} (the test runs once a
    group, not once a member); ``outcomes``: {user id: {version id: latest outcome}}."""
    return {
        user_id: member_state(policy, relevant, outcomes.get(user_id, {}))
        for (member_roles, employment), user_ids in groups.items()
        if in_audience(policy, member_roles, employment)
        for user_id in user_ids
    }


def tally(states: dict[int, str]) -> dict[str, int]:
    """How many of a policy's audience (``audience_states``) have accepted, declined and are still to accept."""
    counted = list(states.values())
    return {
        "audience": len(counted),
        "accepted": counted.count(ACCEPTED),
        "declined": counted.count(DECLINED),
        "to_accept": counted.count(TO_ACCEPT),
    }


def school_overview(school) -> list[dict]:
    """For the governors (§2: governors and the Headteacher ensure the guidance is shared and adhered to):
    every published policy with who in its audience has accepted it, by role and by kind of employment, and
    who has not. A fixed number of queries, however many staff and versions."""
    members = list(
        Membership.objects.active()
        .filter(school=school)
        .select_related("user")
        .prefetch_related("role_grants")
    )
    groups: dict[tuple, list[int]] = {}
    for m in members:
        groups.setdefault((tuple(m.roles), m.employment_type), []).append(m.user_id)
    outcomes: dict[int, dict[int, str]] = {}
    first_accepted: dict[tuple[int, int], datetime.datetime] = {}
    rows = Acceptance.objects.filter(school=school).order_by("accepted_at", "pk")
    for user_id, version_id, outcome, at in rows.values_list(
        "user_id", "version_id", "outcome", "accepted_at"
    ):
        outcomes.setdefault(user_id, {})[version_id] = outcome
        if outcome == ACCEPTED:
            first_accepted.setdefault((user_id, version_id), at)
    overview = []
    for policy, current, relevant in _chains(_published_versions(school.pk)):
        by_user = audience_states(policy, relevant, groups, outcomes)
        audience = [m for m in members if m.user_id in by_user]
        states = {m.pk: by_user[m.user_id] for m in audience}
        by_name = sorted(audience, key=lambda m: m.user.last_name.lower())
        overview.append(
            {
                "policy": policy,
                "version": current,
                **tally(by_user),
                "by_role": _breakdown(audience, states, lambda m: m.role_labels() or ["No role"]),
                "by_employment": _breakdown(audience, states, lambda m: [m.get_employment_type_display()]),
                "members": [(m, states[m.pk]) for m in by_name],
                "waiting": [m for m in by_name if states[m.pk] == TO_ACCEPT],
                "trend": _weekly_trend(
                    current,
                    [
                        min(
                            first_accepted[(m.user_id, v.pk)]
                            for v in relevant
                            if (m.user_id, v.pk) in first_accepted
                        )
                        for m in audience
                        if states[m.pk] == ACCEPTED
                        and any((m.user_id, v.pk) in first_accepted for v in relevant)
                    ],
                    len(audience),
                ),
            }
        )
    return sorted(overview, key=lambda item: item["policy"].title)


def _breakdown(audience, states, keys_of) -> list[tuple[str, int, int]]:
    """(group, accepted, total) for each group a member belongs to."""
    totals: dict[str, list[int]] = {}
    for m in audience:
        for key in keys_of(m):
            entry = totals.setdefault(key, [0, 0])
            entry[1] += 1
            entry[0] += states[m.pk] == ACCEPTED
    return [(key, done, total) for key, (done, total) in sorted(totals.items())]


def _published_versions_for(school_ids: list[int], **narrower) -> list[PolicyVersion]:
    return list(
        PolicyVersion.objects.filter(school_id__in=school_ids, **narrower)
        .exclude(status=PolicyVersion.Status.DRAFT)
        .select_related("policy")
        .order_by("policy_id", "-number")
    )


def _weekly_trend(version, accepted_times, audience: int, weeks: int = 8) -> list[dict]:
    """Share of the audience that had accepted by the end of each week since publication (last ``weeks``)."""
    if version.published_at is None or not audience:
        return []
    start = version.published_at
    now = timezone.now()
    total_weeks = max(1, -(-(now - start).days // 7))
    points = []
    for week in range(max(1, total_weeks - weeks + 1), total_weeks + 1):
        end = min(start + datetime.timedelta(weeks=week), now)
        done = sum(1 for at in accepted_times if at <= end)
        points.append({"week": week, "end": end, "accepted": done, "percent": round(100 * done / audience)})
    return points
