"""The append-only, hash-chained audit trail (seed §8: every access to confidential data recorded).

A row holds ids and codes only — never a name or any content — so the trail itself is not a store of
children's data. Each row carries the hash of the one before; ``saferstaff verify_audit`` walks the chain."""

import hashlib
import json

from django.db import models
from django.utils import timezone

GENESIS = "0" * 64


class AppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
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
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit events are never deleted")

    def compute_hash(self) -> str:
        body = json.dumps(
            [
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
            ],
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()
