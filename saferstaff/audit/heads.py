"""The daily signed head of each audit chain, kept outside the database.

A chain proves that no row in it was changed, but not that its newest rows were not deleted: a shorter
chain is still a valid chain. So once a day ``publish_heads`` writes each chain's newest row (seq, hash,
time), signed with a key derived from AUDIT_KEY, to a file under AUDIT_HEAD_DIR, and emails a school's
head to its data protection officer. ``verify_audit --head FILE`` then checks that the row is still there.
A head holds no names and nothing about any child: a school id, a number, a hash and two times."""

import datetime
import hashlib
import hmac
import json
import logging
from pathlib import Path

from django.conf import settings
from django.db.models import Max
from django.tasks import task
from django.utils import timezone

from saferstaff.audit.models import LEGACY_CHAIN, NO_SCHOOL_CHAIN, AuditEvent, _canonical, derived_key
from saferstaff.notifications.outbox import send_once
from saferstaff.schools.models import Membership, Role, School

log = logging.getLogger(__name__)

FORMAT = "saferstaff audit head 1"


def _signature(head: dict) -> str:
    unsigned = {k: v for k, v in head.items() if k != "signature"}
    return hmac.new(derived_key(settings.AUDIT_KEY, "head"), _canonical(unsigned), hashlib.sha256).hexdigest()


def current_heads() -> list[dict]:
    """The newest row of every keyed chain, signed."""
    newest = (
        AuditEvent.objects.exclude(chain=LEGACY_CHAIN)
        .values("chain")
        .annotate(seq=Max("seq"))
        .order_by("chain")
    )
    written_at = timezone.now().isoformat(timespec="seconds")
    heads = []
    for row in newest:
        event = AuditEvent.objects.get(chain=row["chain"], seq=row["seq"])
        head = {
            "format": FORMAT,
            "chain": event.chain,
            "school": None if event.chain == NO_SCHOOL_CHAIN else event.chain,
            "seq": event.seq,
            "hash": event.hash,
            "row_at": event.at.isoformat(timespec="microseconds"),
            "written_at": written_at,
        }
        head["signature"] = _signature(head)
        heads.append(head)
    return heads


def publish_heads(folder: Path | None = None, *, email: bool = True) -> list[Path]:
    """Write today's heads (one file per chain, in a folder per day) and email each school's head to its
    DPO (its Headteacher when it has no DPO). Returns the files written."""
    folder = Path(folder or settings.AUDIT_HEAD_DIR) / timezone.localdate().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    schools = School.objects.in_bulk()
    written = []
    for head in current_heads():
        path = folder / ("no-school.json" if head["school"] is None else f"school-{head['school']}.json")
        text = json.dumps(head, indent=2, sort_keys=True) + "\n"
        path.write_text(text, encoding="utf-8")
        written.append(path)
        school = schools.get(head["school"])
        if email and school is not None:
            # A job per school, so an SMTP server that is down delays the email (the worker retries it)
            # instead of losing it; the file is written either way.
            email_head.enqueue(school.pk, text)
    return written


@task()
def email_head(school_id: int, text: str) -> None:
    """Email one school's sealed head to its DPO (else its Headteacher), once per school and head however
    often the job runs."""
    school = School.objects.filter(pk=school_id).first()
    if school is None:
        return
    keepers = Membership.objects.active().filter(school=school)
    to = sorted(
        {m.user.email for m in keepers.with_role(Role.DPO).select_related("user") if m.user.email}
        or {m.user.email for m in keepers.with_role(Role.HEADTEACHER).select_related("user") if m.user.email}
    )
    if not to:
        return
    body = (
        f"This is today's seal of {school.name}'s audit trail in saferstaff. Please keep this email.\n\n"
        "If anyone ever needs to show that the audit trail is complete, the people who run saferstaff can "
        "save the text between the lines to a file and check it with: saferstaff verify_audit --head FILE\n\n"
        "It says how long the trail was today and holds no names and nothing about any pupil.\n\n"
        f"-----\n{text}-----\n"
    )
    head = json.loads(text)
    key = f"audit-head:{school.pk}:{head['chain']}:{head['seq']}:{head['written_at'][:10]}"
    sealed_on = timezone.localtime(datetime.datetime.fromisoformat(head["written_at"]))
    subject = f"saferstaff audit trail seal for {sealed_on:%d %B %Y}"
    if send_once(key, subject, body, to):
        log.info("audit head of school %s emailed", school.pk)


def load_heads(path: Path) -> list[dict]:
    """The heads in a file written by ``publish_heads`` (or pasted from its email), or in every .json file
    of a folder."""
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    heads = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end < start:
            raise ValueError(f"{file} holds no audit head")
        try:
            heads.append(json.loads(text[start : end + 1]))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{file} holds no readable audit head: {exc}") from None
    return heads


def check_head(head: dict) -> str | None:
    """None when the chain still holds the row the head names; otherwise what is wrong."""
    if head.get("format") != FORMAT:
        return "it is not a saferstaff audit head"
    if not hmac.compare_digest(str(head.get("signature", "")), _signature(head)):
        return "its signature does not match: it was changed, or signed with another AUDIT_KEY"
    chain, seq = head["chain"], head["seq"]
    written = head["written_at"][:10]
    event = AuditEvent.objects.filter(chain=chain, seq=seq).first()
    if event is None:
        last = AuditEvent.objects.filter(chain=chain).aggregate(m=Max("seq"))["m"] or 0
        return (
            f"on {written} chain {chain} ended at row seq={seq}; it now ends at seq={last}: "
            "the newest rows were deleted"
        )
    if event.hash != head["hash"]:
        return f"row seq={seq} of chain {chain} is not the row sealed on {written}: it was replaced"
    return None
