"""Who still has to accept what. A member has accepted a policy when they accepted its published version,
or an earlier version with only minor changes (typos) since."""

from django.db import transaction

from saferstaff.acknowledgements.models import Acceptance
from saferstaff.audit.log import record
from saferstaff.policy.models import Policy, PolicyVersion


def _chain_ok(versions_desc: list[PolicyVersion], accepted_ids: set[int]) -> bool:
    """``versions_desc``: the policy's versions from the published one downwards."""
    for version in versions_desc:
        if version.pk in accepted_ids:
            return True
        if not version.minor_change:
            return False  # a real change since: it must be accepted again
    return False


def policies_for(membership) -> list[tuple[Policy, PolicyVersion, bool]]:
    """(policy, its published version, accepted?) for every published policy in the member's audience."""
    versions = list(
        PolicyVersion.objects.filter(school_id=membership.school_id)
        .exclude(status=PolicyVersion.Status.DRAFT)
        .select_related("policy")
        .order_by("policy_id", "-number")
    )
    accepted = set(
        Acceptance.objects.filter(school_id=membership.school_id, user_id=membership.user_id).values_list(
            "version_id", flat=True
        )
    )
    by_policy: dict[int, list[PolicyVersion]] = {}
    for version in versions:
        by_policy.setdefault(version.policy_id, []).append(version)
    result = []
    for chain in by_policy.values():
        published = [v for v in chain if v.status == PolicyVersion.Status.PUBLISHED]
        if not published or not published[0].policy.is_for(membership):
            continue
        current = published[0]
        from_current = [v for v in chain if v.number <= current.number]
        result.append((current.policy, current, _chain_ok(from_current, accepted)))
    return sorted(result, key=lambda item: item[0].title)


def outstanding_compulsory(membership) -> list[PolicyVersion]:
    return [version for policy, version, ok in policies_for(membership) if policy.compulsory and not ok]


def has_accepted(membership, version: PolicyVersion) -> bool:
    return any(v.pk == version.pk and ok for _, v, ok in policies_for(membership))


def accept(membership, version: PolicyVersion, *, typed_name: str, ip_address: str | None) -> Acceptance:
    with transaction.atomic():
        acceptance = Acceptance.objects.create(
            school_id=membership.school_id,
            version=version,
            user_id=membership.user_id,
            typed_name=typed_name.strip()[:200],
            text_sha256=version.text_sha256,
            ip_address=ip_address,
        )
        record("policy.accepted", version, school=membership.school_id, detail={"acceptance": acceptance.pk})
    return acceptance
