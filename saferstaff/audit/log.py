"""Writing to the audit trail: ``record(action, obj)`` — the one way in.

The actor, school and request id come from the request being served (set by AuditContextMiddleware),
or from ``acting_as`` in commands and workers."""

import datetime
import pickle
from dataclasses import dataclass

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from saferstaff.audit.context import (  # noqa: F401  (acting_as, current_context: re-exported)
    _context,
    _generations_read,
    acting_as,
    current_context,
)
from saferstaff.audit.models import (
    GENESIS,
    LEGACY_CHAIN,
    NO_SCHOOL_CHAIN,
    AuditEvent,
    Generation,
    KeptForTheDay,
    Version,
    chain_for,
)
from saferstaff.numbers import parse_id


def record_type(model) -> str:
    """The type a record's events are filed under: "<app>.<model>" of the table the record lives in. A model
    that moved to another room keeps its table (ADR 0007), so its events before and after the move read as one
    history; the trail is append-only and chained, so old events could not be renamed anyway."""
    app, _, name = model._meta.db_table.partition("_")
    return f"{app}.{name}" if name == model._meta.model_name else model._meta.label_lower


def _type_and_id(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return record_type(obj), str(obj.pk)


# Any fixed number: the first half of the Postgres advisory lock key that serialises appends to one chain.
_PG_LOCK_CLASS = 574_120


def _lock_chain(chain: int) -> None:
    """A chain is extended one row at a time, but schools never wait for each other. On SQLite every
    transaction is IMMEDIATE (settings), so the write lock is already held; on Postgres take an advisory
    lock keyed by the chain (two chains sharing a key would only queue, never break)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
                [_PG_LOCK_CLASS, chain % 2_147_483_647],
            )


# The newest row of a chain, as the ORM would ask it (PostgreSQL and SQLite quote names alike).
_LAST_OF = (
    f'SELECT "seq", "hash" FROM "{AuditEvent._meta.db_table}" WHERE "chain" = %s ORDER BY "seq" DESC LIMIT 1'
)


def _last_of(chain: int) -> tuple[int, str] | None:
    """The seq and hash of the chain's newest row. Asked by every event a page records, so in SQL written out
    once (the one index ``audit_one_seq_per_chain`` answers it): building it through the ORM cost fifteen times
    as much as running it."""
    with connection.cursor() as cur:
        cur.execute(_LAST_OF, [chain])
        return cur.fetchone()


def legacy_head() -> str:
    """Where every keyed chain starts: the hash of the last row written before chains were keyed, or
    zeros. Rewriting or cutting the old rows then breaks the first keyed row of every school's chain."""
    last = AuditEvent.objects.filter(chain=LEGACY_CHAIN).order_by("-seq").values_list("hash", flat=True)
    return last.first() or GENESIS


def record(action: str, obj=None, *, school=None, actor=None, detail: dict | None = None) -> AuditEvent:
    """Append one event. ``obj`` is a model instance or a ``(type, id)`` pair; ``detail`` holds codes and
    ids only (a role code, a count, a rule name) — never a name, an email or free text."""
    ctx = _context.get()
    object_type, object_id = _type_and_id(obj)
    # The school named, else the object's own, else the school of the page being served.
    school_id = getattr(school, "pk", school) if school is not None else None
    if school_id is None and obj is not None and not isinstance(obj, tuple):
        school_id = getattr(obj, "school_id", None)
    if school_id is None:
        school_id = ctx.school_id
    actor_id = getattr(actor, "pk", actor) if actor is not None else ctx.actor_id
    chain = chain_for(school_id)
    with transaction.atomic():
        _lock_chain(chain)
        last = _last_of(chain)
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, legacy_head())
        event = AuditEvent(
            v=Version.HMAC_SHA256,
            chain=chain,
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
        if action not in READ_ONLY:
            _bump(chain)
    return event


# The events that record a reading — a page listed or opened, a file downloaded or exported, a refusal — and
# change nothing a page works out from a school's data. Every other event bumps its school's generation
# (``Generation``), so a new action is a change until it is listed here (tests/test_overview_cache.py).
READ_ONLY = frozenset(
    {
        "audit.viewed",
        "conduct.concern_person_viewed",
        "conduct.concern_viewed",
        "conduct.concerns_listed",
        "conduct.disclosure_viewed",
        "conduct.exported",
        "conduct.summary_exported",
        "faces.crop_viewed",
        "faces.reference_viewed",
        "images.activity.checklist_viewed",
        "images.consent.evidence_viewed",
        "images.consent.register_viewed",
        "images.downloaded",
        "images.listed",
        "images.portal.opened",
        "images.portal.refused",
        "images.publication.downloaded",
        "images.publication.face_viewed",
        "images.takedown.evidence_viewed",
        "images.takedown.check_page_viewed",
        "images.thumbnail_viewed",
        "images.viewed",
        "incidents.case_viewed",
        "incidents.cases_listed",
        "incidents.chronology_exported",
        "incidents.chronology_viewed",
        "incidents.custody_viewed",
        "incidents.evidence_opened",
        "incidents.mine_listed",
        "incidents.person_timeline_viewed",
        "incidents.pupil_timeline_viewed",
        "incidents.trends_viewed",
        "membership.viewed",
        "oversight.pack.exported",
        "oversight.report.downloaded",
        "policy.acceptance.scan_viewed",
        "policy.report_exported",
        "privacy.breach.listed",
        "privacy.breach.viewed",
        "privacy.certificates.exported",
        "privacy.sar.bundle_downloaded",
        "privacy.sar.checklist_viewed",
        "privacy.sar.listed",
        "privacy.seen.viewed",
        "privacy.sharing.listed",
        "privacy.sharing.viewed",
        "pupil.listed",
        "pupil.viewed",
        "roster.previewed",  # the preview page, shown again: the upload itself is "roster.staged"
    }
)


def _bump(chain: int) -> None:
    """One more change at the chain's school (or, chain 0, of no school). Called under the chain's lock, so
    the row's first creation never races another. The generations this request has read are forgotten."""
    if not Generation.objects.filter(scope=chain).update(value=F("value") + 1):
        Generation.objects.create(scope=chain, value=1)
    if (read := _generations_read.get()) is not None:
        read.values.clear()
        read.written = True


def generations(school_id: int) -> tuple[int, int]:
    """The generation of the school and that of events of no school, in one query: equal numbers, nothing
    written since (what a page worked out from them still holds). Read it BEFORE reading the data it guards:
    a change that lands in between then only makes the kept result newer than its key, never older."""
    values = _generations_of([school_id])
    return values[school_id], values[NO_SCHOOL_CHAIN]


def _generations_of(school_ids: list[int], among=None) -> dict[int, int]:
    """{scope: generation} of ``school_ids`` and of events of no school, in one query (``among``: the schools
    as a query of their ids, so the SQL is the same however many). Read once per request: the memo of what this
    request read answers a second reading, until the request writes (``_bump``)."""
    read = _generations_read.get()
    if read is not None and read.written:
        read = None
    scopes = [*school_ids, NO_SCHOOL_CHAIN]
    if read is not None and all(scope in read.values for scope in scopes):
        return read.values
    found = Q(scope__in=scopes) if among is None else Q(scope__in=among) | Q(scope=NO_SCHOOL_CHAIN)
    values = dict(Generation.objects.filter(found).values_list("scope", "value"))
    values = {scope: values.get(scope, 0) for scope in scopes}
    if read is not None:
        read.values.update(values)
    return values


def _minute_parts() -> tuple[str, str]:
    """The local date and the minute, as parts of a kept value's key."""
    now = timezone.now()
    return timezone.localdate(now).isoformat(), now.strftime("%Y%m%d%H%M")


def _keys(name: str, school_ids: list[int], parts: tuple, among=None, *, per_day=False) -> dict[int, str]:
    """The key ``name`` is kept under for each school (ADR 0014): the school, its generation and that of events
    of no school (read before anything the value is worked out from), ``parts``, the local date and minute (the
    date alone ``per_day``)."""
    values = _generations_of(school_ids, among)
    minute = _minute_parts()[:1] if per_day else _minute_parts()
    return {
        school_id: ":".join(
            str(part)
            for part in (name, school_id, values[school_id], values[NO_SCHOOL_CHAIN], *parts, *minute)
        )
        for school_id in school_ids
    }


def kept_each(name: str, school_ids, work_out, among=None, *, per_day: bool = False) -> dict:
    """``kept`` for many schools at once (a trust's page): {school id: value}, each school's value kept under
    its own generation, so a change at one school works out that school again and no other. The generations of
    every school are read in one query, before anything else; ``work_out(ids)`` is called once, with the
    schools whose kept value is missing or stale, and returns {school id: value} for them. ``among``: the same
    schools as a query of their ids (a trust's), so the generations' SQL is the same however many there are.
    ``per_day``: the value depends on the date, not the time of day, so it is kept until the school changes or
    the day ends rather than for the minute — in the database (``KeptForTheDay``), shared by every process and
    worked out ahead by ``run_daily``, in one query to read and one to write however many schools."""
    keys = _keys(name, list(school_ids), (), among, per_day=per_day)
    if per_day:
        found = {
            key: pickle.loads(value)
            for key, value in KeptForTheDay.objects.filter(key__in=keys.values()).values_list("key", "value")
        }
    else:
        found = caches["overview"].get_many(keys.values())
    result = {school_id: found[key] for school_id, key in keys.items() if key in found}
    missing = [school_id for school_id in keys if school_id not in result]
    if missing:
        fresh = work_out(missing)
        if per_day:
            day = timezone.localdate()
            KeptForTheDay.objects.bulk_create(
                [KeptForTheDay(key=keys[pk], value=pickle.dumps(fresh[pk]), day=day) for pk in missing],
                update_conflicts=True,  # another process worked out the same school at the same moment
                unique_fields=["key"],
                update_fields=["value", "day"],
            )
        else:
            caches["overview"].set_many({keys[school_id]: fresh[school_id] for school_id in missing})
        result.update(fresh)
    return result


def forget_earlier_days() -> int:
    """Delete the values kept for days before today (``run_daily``): how many."""
    return KeptForTheDay.objects.filter(day__lt=timezone.localdate()).delete()[0]


def kept(name: str, school_id: int, work_out, *parts):
    """What ``work_out()`` gives for school ``school_id``, worked out at most once per state of the school, per
    ``parts`` (who is looking, when the answer depends on it), per minute (ADR 0014). The key names the school's
    generation and that of events of no school, read before ``work_out`` reads anything: a change anywhere is
    seen on the very next request, and anything written without an event within the minute. Per process
    (``CACHES["overview"]``): the key is exact, so processes never disagree for longer than that minute."""
    key = _keys(name, [school_id], parts)[school_id]
    cache = caches["overview"]
    data = cache.get(key)
    if data is None:
        data = work_out()
        cache.set(key, data)
    return data


# How long a list page's one row covers the thumbnails it shows (a lazy-loading browser fetches them later).
LISTING_COVERS = datetime.timedelta(hours=1)


def listed_in(event_id: str, action: str, key: str, object_pk: int) -> bool:
    """Whether audit row ``event_id`` — a list page's one row, ``detail[key]`` the ids it showed — was
    written for the person and school now being served, within ``LISTING_COVERS``, and lists ``object_pk``.
    Then fetching that record's thumbnail is already in the trail and needs no row of its own."""
    ctx = _context.get()
    event_pk = parse_id(event_id)
    if event_pk is None or ctx.actor_id is None or ctx.school_id is None:
        return False
    detail = (
        AuditEvent.objects.filter(
            pk=event_pk,
            action=action,
            actor_id=ctx.actor_id,
            school_id=ctx.school_id,
            at__gte=timezone.now() - LISTING_COVERS,
        )
        .values_list("detail", flat=True)
        .first()
    )
    return bool(detail) and object_pk in detail.get(key, ())


@dataclass(frozen=True)
class ChainBreak:
    chain: int
    seq: int
    pk: int | None
    problem: str

    def __str__(self) -> str:
        where = (
            "the chain of rows from before keyed chains"
            if self.chain == LEGACY_CHAIN
            else ("the chain of rows with no school" if self.chain == 0 else f"school {self.chain}'s chain")
        )
        row = f"row seq={self.seq}" + (f" (id {self.pk})" if self.pk else "")
        return f"{where}, {row}: {self.problem}"


def chains() -> list[int]:
    return sorted(set(AuditEvent.objects.values_list("chain", flat=True).distinct()))


def verify_chain(batch_size: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk every chain in order (the rows from before keyed chains first). Returns (rows checked, first
    break or None)."""
    checked = 0
    start_of_keyed = legacy_head()
    for chain in chains():
        n, broken = _verify_one(chain, start_of_keyed, batch_size)
        checked += n
        if broken:
            return checked, broken
    return checked, None


def _verify_one(chain: int, start_of_keyed: str, batch_size: int) -> tuple[int, ChainBreak | None]:
    legacy = chain == LEGACY_CHAIN
    version = Version.SHA256 if legacy else Version.HMAC_SHA256
    expected_seq, prev_hash, checked = 1, GENESIS if legacy else start_of_keyed, 0
    while True:
        rows = list(
            AuditEvent.objects.filter(chain=chain, seq__gte=expected_seq).order_by("seq")[:batch_size]
        )
        if not rows:
            return checked, None
        for event in rows:
            broken = None
            if event.seq != expected_seq:
                broken = f"row(s) {expected_seq}..{event.seq - 1} are missing (deleted)"
            elif event.v != version:
                broken = "it is sealed the wrong way for its chain (inserted)"
            elif event.prev_hash != prev_hash:
                broken = (
                    "it does not follow the row before it (inserted or reordered)"
                    if event.seq > 1 or legacy
                    else "the rows from before keyed chains were changed or cut short"
                )
            elif event.compute_hash() != event.hash:
                broken = "its contents were changed after it was written"
            if broken:
                return checked, ChainBreak(chain, event.seq, event.pk, broken)
            prev_hash, expected_seq = event.hash, expected_seq + 1
            checked += 1
