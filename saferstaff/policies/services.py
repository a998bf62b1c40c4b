"""Bringing a school's policy document into saferstaff as a draft version with numbered sections."""

import hashlib
import re

from django.db import transaction
from django.db.models import Max

from saferstaff.audit.log import record
from saferstaff.policies.documents.parse import DocumentError, parse_sections
from saferstaff.policies.documents.readers import read_document
from saferstaff.policies.models import Policy, PolicyKind, PolicySection, PolicyVersion, QuizQuestion
from saferstaff.rules.policies import (
    may_change_questions,
    may_change_review_date,
    may_delete_draft,
    may_publish,
)
from saferstaff.schools.models import School
from saferstaff.schools.roles import Actor

__all__ = [
    "DocumentError",
    "import_policy",
    "fill_placeholders",
    "publish_version",
    "publish_to_trust",
    "delete_draft",
]

# Template documents say "[name of school]" or "(name of school)" where the school's name belongs (§1, §7).
_PLACEHOLDER = re.compile(r"[\[(]\s*name of (?:the )?school\s*[\])]", re.IGNORECASE)


def fill_placeholders(text: str, school_name: str) -> str:
    return _PLACEHOLDER.sub(school_name, text)


def import_policy(
    school, *, title: str, filename: str, data: bytes, kind: str = PolicyKind.OTHER, by=None
) -> tuple[PolicyVersion, list[str]]:
    """Read and split the document (raising DocumentError before anything is saved), then store it as the
    next draft version of the school's policy called ``title``. Returns the version and any notes."""
    title = title.strip()
    if not title:
        raise DocumentError("Give the policy a title, for example 'Online Safety and Social Media Guidance'.")
    text = read_document(filename, data)
    parsed = parse_sections(text)
    with transaction.atomic():
        policy, created = Policy.objects.get_or_create(school=school, title=title, defaults={"kind": kind})
        last = PolicyVersion.objects.filter(policy=policy).aggregate(n=Max("number"))["n"] or 0
        version = PolicyVersion.objects.create(
            school=school,
            policy=policy,
            number=last + 1,
            source_filename=filename[:200],
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            created_by=by,
        )
        PolicySection.objects.bulk_create(
            PolicySection(
                school=school,
                version=version,
                position=position,
                number=section.number,
                title=section.title[:300],
                level=section.level,
                anchor=section.anchor,
                text=section.text,
            )
            for position, section in enumerate(parsed.sections, start=1)
        )
        record(
            "policy.version_imported",
            version,
            school=school,
            actor=by,
            detail={"sections": len(parsed.sections)},
        )
    return version, list(parsed.notes)


def publish_version(version, *, by, minor_change: bool | None, review_date=None, change_note: str = ""):
    """The one door for a school publishing a draft. ``minor_change`` None means the publisher did not say:
    a text the same as the version in force is then a minor change (acceptances still count), anything else
    is not. Returns the rule's decision; nothing is written when it refuses."""
    if minor_change is None:
        minor_change = not change_note.strip() and version.same_text_as(version.in_force())
    decision = may_publish(
        Actor.of(by, version.school), subject=version, minor_change=minor_change, change_note=change_note
    )
    if decision:
        with transaction.atomic():
            version.publish(
                by=by, minor_change=minor_change, review_date=review_date, change_note=change_note
            )
            record("policy.published", version, detail={"minor_change": minor_change})
    return decision


def change_review_date(version, review_date, *, by):
    """Move the date the school next reviews the version in force. Returns the rule's decision; nothing is
    written when it refuses."""
    decision = may_change_review_date(Actor.of(by, version.school), subject=version)
    if decision:
        version.set_review_date(review_date, by=by)
    return decision


def delete_draft(version, *, by):
    """Delete a draft version (its sections and questions go with it), and its policy when nothing else of it
    is left. Returns the rule's decision; nothing is deleted when it refuses."""
    decision = may_delete_draft(Actor.of(by, version.school), subject=version)
    if decision:
        with transaction.atomic():
            policy = version.policy
            last = not policy.versions.exclude(pk=version.pk).exists()
            record(
                "policy.draft_deleted",
                version,
                actor=by,
                detail={"policy": policy.pk, "number": version.number, "policy_deleted": last},
            )
            version.delete()
            if last:
                policy.delete()
    return decision


def add_question(version, *, text: str, answers: list[str], correct: int, section: str, by):
    """Add a question staff answer before accepting ``version`` (after those it has). Returns the rule's
    decision; nothing is written when it refuses."""
    decision = may_change_questions(Actor.of(by, version.school), subject=version)
    if decision:
        with transaction.atomic():
            last = version.questions.aggregate(last=Max("position"))["last"] or 0
            QuizQuestion.objects.create(
                school_id=version.school_id,
                version=version,
                position=last + 1,
                text=text,
                answers=answers,
                correct=correct,
                section=section,
            )
            record("policy.question_added", version)
    return decision


def remove_question(question, *, by):
    """Remove one of a version's questions. Returns the rule's decision; nothing is removed when it refuses."""
    decision = may_change_questions(Actor.of(by, question.school), subject=question.version)
    if decision:
        with transaction.atomic():
            record("policy.question_removed", question.version, detail={"question": question.pk})
            question.delete()
    return decision


def publish_to_trust(trust, *, title: str, filename: str, data: bytes, kind: str, by) -> list[PolicyVersion]:
    """A trust or Local Authority publishes one document to every school it runs: each school gets its own
    version (rendering its own name for "[name of school]"), published at once. All schools or none."""
    versions = []
    with transaction.atomic():
        for school in School.objects.filter(trust=trust).order_by("pk"):
            version, _ = import_policy(school, title=title, filename=filename, data=data, kind=kind, by=by)
            # The same document sent again changes nothing staff must read: their acceptances still count.
            version.publish(by=by, minor_change=version.same_text_as(version.in_force()))
            record("policy.published", version, school=school, actor=by, detail={"trust": trust.pk})
            versions.append(version)
    return versions
