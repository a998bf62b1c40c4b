"""Writing to the audit trail: ``record(action, obj)`` — the one way in.

The actor, school and request id come from the request being served (set by AuditContextMiddleware),
or from ``acting_as`` in commands and workers."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from saferstaff.audit.context import _context, acting_as, current_context  # noqa: F401  (re-exported)
from saferstaff.audit.models import GENESIS, AuditEvent


def _type_and_id(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return f"{obj._meta.app_label}.{obj._meta.model_name}", str(obj.pk)


# Any fixed number: the Postgres advisory lock that serialises appends to the chain.
_PG_LOCK_KEY = 5_741_200_001


def record(action: str, obj=None, *, school=None, actor=None, detail: dict | None = None) -> AuditEvent:
    """Append one event. ``obj`` is a model instance or a ``(type, id)`` pair; ``detail`` holds codes and
    ids only (a role code, a count, a rule name) — never a name, an email or free text."""
    ctx = _context.get()
    object_type, object_id = _type_and_id(obj)
    school_id = getattr(school, "pk", school) if school is not None else ctx.school_id
    if school_id is None and obj is not None and not isinstance(obj, tuple):
        school_id = getattr(obj, "school_id", None)
    actor_id = getattr(actor, "pk", actor) if actor is not None else ctx.actor_id
    with transaction.atomic():
        # The chain must be extended one row at a time. On SQLite every transaction is IMMEDIATE
        # (settings), so the write lock is already held; on Postgres take an advisory lock.
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = AuditEvent(
            seq=seq,
            at=timezone.now(),
            actor_id=actor_id,
            school_id=school_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            request_id=ctx.request_id,
            detail=detail or {},
            prev_hash=prev_hash,
        )
        event.hash = event.compute_hash()
        event.save()
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    pk: int
    problem: str


def verify_chain(batch_size: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the whole chain in order. Returns (rows checked, first break or None)."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    last_seq = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not rows:
            return checked, None
        for event in rows:
            if event.seq != expected_seq:
                problem = (
                    f"row(s) {expected_seq}..{event.seq - 1} are missing (deleted)"
                    if event.seq > expected_seq
                    else "sequence number out of order (inserted)"
                )
                return checked, ChainBreak(event.seq, event.pk, problem)
            if event.prev_hash != prev_hash:
                return checked, ChainBreak(
                    event.seq, event.pk, "does not follow the row before it (inserted or reordered)"
                )
            if event.compute_hash() != event.hash:
                return checked, ChainBreak(
                    event.seq, event.pk, "its contents were changed after it was written"
                )
            prev_hash, expected_seq, last_seq = event.hash, expected_seq + 1, event.seq
            checked += 1
