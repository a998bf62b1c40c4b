"""The append-only, keyed hash-chained audit trail (seed §8: every access to confidential data recorded).

A row holds ids and codes only — never a name or any content — so the trail itself is not a store of
children's data. Each school has its own chain (``chain`` = the school's id; 0 for rows that belong to no
school): a gap-free ``seq`` and the hash of the row before. Rows are sealed with HMAC-SHA256 under
``settings.AUDIT_KEY``, which the database does not hold, so nobody with only the database can rewrite a
row and recompute the hashes after it; ``saferstaff audit_head`` publishes each chain's newest row, signed,
outside the database, so deleting the newest rows is caught too. ``saferstaff verify_audit`` walks the
chains (docs/adr/0006-keyed-audit-chains.md)."""

import hashlib
import hmac
import json
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.utils import timezone

GENESIS = "0" * 64
# Rows written before chains were keyed and per school: one chain of plain SHA-256 rows, kept as written.
LEGACY_CHAIN = -1
NO_SCHOOL_CHAIN = 0


class Version(models.IntegerChoices):
    SHA256 = 1, "SHA-256, one chain (before December 2026)"
    HMAC_SHA256 = 2, "HMAC-SHA256 under AUDIT_KEY, a chain per school"


class AppendOnly(ValueError):
    """A row that is only ever added to was to be changed or deleted."""


class AppendOnlyModel(models.Model):
    """A record written once: the audit trail, a consent answer, an acceptance. A change is a new row."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(f"{type(self).__name__} rows are never changed: add a new one")
        super().save(*args, **kwargs)


@lru_cache(maxsize=4)
def derived_key(secret: bytes, purpose: str) -> bytes:
    """One key per purpose from AUDIT_KEY (an HKDF-Expand step with a single block): the chain's key and
    the daily head's signing key never coincide."""
    prk = hmac.new(b"saferstaff audit", secret, hashlib.sha256).digest()
    return hmac.new(prk, f"saferstaff/audit/{purpose}".encode() + b"\x01", hashlib.sha256).digest()


def chain_for(school_id: int | None) -> int:
    return NO_SCHOOL_CHAIN if school_id is None else int(school_id)


class AuditEvent(AppendOnlyModel):
    v = models.PositiveSmallIntegerField(choices=Version.choices, default=Version.HMAC_SHA256)
    chain = models.BigIntegerField()
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(
        null=True
    )  # not a foreign key: removing a user must not touch the chain
    school_id = models.BigIntegerField(null=True, db_index=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_one_seq_per_chain")]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["school_id", "at"], name="audit_school_at"),
        ]

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit events are never deleted")

    def compute_hash(self, key: bytes | None = None) -> str:
        fields = [
            self.seq,
            self.at.isoformat(timespec="microseconds"),
            self.actor_id,
            self.school_id,
            self.action,
            self.object_type,
            self.object_id,
            self.request_id,
            self.detail,
            self.prev_hash,
        ]
        if self.v == Version.SHA256:
            return hashlib.sha256(_canonical(fields)).hexdigest()
        secret = settings.AUDIT_KEY if key is None else key
        body = _canonical([self.v, self.chain, *fields])
        return hmac.new(derived_key(secret, "chain"), body, hashlib.sha256).hexdigest()


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


class Generation(models.Model):
    """How many changes a school has seen: bumped by ``audit.log.record`` in the same transaction as every
    event that is not a read (``log.READ_ONLY``), so a page can keep what it worked out from a school's data
    for exactly as long as nothing there has changed (the Overview, ADR 0014). ``scope`` is the school's id,
    or 0 for events that belong to no school; not a foreign key, like ``AuditEvent.school_id``."""

    scope = models.BigIntegerField(primary_key=True)
    value = models.PositiveBigIntegerField(default=0)


class KeptForTheDay(models.Model):
    """A value ``audit.log.kept_each(..., per_day=True)`` worked out for one school — what a trust's page reads
    that changes only with the school or the date (its consent and acceptance counts) — shared by every web
    process and by ``run_daily``, which works them out for the day before anyone asks (ADR 0014). The key names
    the school's generation and the date, so a kept value is never stale; rows of earlier days are deleted
    each day. ``value`` is pickled, as Django's database cache keeps its values: only the app writes it."""

    key = models.CharField(max_length=255, primary_key=True)
    value = models.BinaryField()
    day = models.DateField(db_index=True)
