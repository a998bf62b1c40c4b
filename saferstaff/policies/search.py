"""Ask the policy: the sections of a school's published policies that answer a question in everyday words
("can I accept a friend request from a parent?"), best first, each with the sentence that matters
highlighted. The ranking is ``saferstaff.textcheck.ask`` (full text and sentence meaning, fused).

The sentence embeddings of a version are computed once, in the worker, when it is published
(``index_version``), and kept in the cache; a question only embeds itself (~20 ms). Until a version's
embeddings exist — the minutes after publishing, or with the cache cleared — questions are answered by
full text alone and the embeddings are queued."""

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
from django.core.cache import caches
from django.db import transaction
from django.tasks import task

from saferstaff.policies.models import PolicySection, PolicyVersion
from saferstaff.textcheck import ask
from saferstaff.textcheck.embed import MiniLM, model

log = logging.getLogger(__name__)
MAX_QUESTION = 300


@dataclass(frozen=True)
class Hit:
    section: PolicySection
    rank: float
    sentence: str


def terms(question: str) -> list[str]:
    """The words of a question that count for full-text matching (shown when nothing matches)."""
    return list(dict.fromkeys(w for w in ask.terms(question)))[:12]


def _sections(version_ids) -> list[PolicySection]:
    return list(
        PolicySection.objects.filter(version_id__in=version_ids)
        .select_related("version__policy")
        .order_by("version_id", "position")
    )


def _key(sections: list[PolicySection]) -> str:
    digest = hashlib.sha256()
    for s in sections:
        digest.update(f"{s.pk}\x00{s.title}\x00{s.text}\x01".encode())
    return f"policy-vectors:{MiniLM.name}:{digest.hexdigest()[:32]}"


def _index(sections: list[PolicySection], *, compute: bool) -> ask.PolicyIndex:
    plain = [ask.Section(s.pk, s.number, s.title, s.text) for s in sections]
    key = _key(sections)
    store = caches["embeddings"]
    stored = store.get(key)
    words_only = ask.PolicyIndex(plain)
    if stored is not None:
        vectors = np.frombuffer(stored, dtype=np.float32).reshape(-1, 384)
        if len(vectors) == len(words_only.passages):  # else the sentences are split differently now
            return ask.PolicyIndex(plain, embedder=model(), vectors=vectors)
    if compute:
        index = ask.PolicyIndex(plain, embedder=model())
        store.set(key, index.vectors.astype(np.float32).tobytes())
        return index
    return words_only  # full text until the worker has embedded this version


def index_when_published(sender, *, version, **kwargs) -> None:
    """A version was published (``models.version_published``): embed it in the worker once that commits."""
    transaction.on_commit(lambda: index_version.enqueue(version.pk))  # "Ask the policy" reads it


@task()
def index_version(version_id: int) -> None:
    """Embed every sentence of the school's published policies (after a publication)."""
    version = PolicyVersion.objects.filter(pk=version_id).first()
    if version is None:
        return
    published = PolicyVersion.objects.filter(
        school_id=version.school_id, status=PolicyVersion.Status.PUBLISHED
    )
    _index(_sections(published.values_list("pk", flat=True)), compute=True)


def search_sections(school, question: str, *, limit: int = 8) -> list[Hit]:
    question = question[:MAX_QUESTION]
    published = list(
        PolicyVersion.objects.filter(school=school, status=PolicyVersion.Status.PUBLISHED).values_list(
            "pk", flat=True
        )
    )
    if not published or not question.strip():
        return []
    sections = _sections(published)
    index = _index(sections, compute=False)
    if index.vectors is None and caches["embeddings"].add(f"{_key(sections)}:queued", True, timeout=600):
        latest = max(published)
        transaction.on_commit(lambda: index_version.enqueue(latest))
    by_pk = {s.pk: s for s in sections}
    return [Hit(by_pk[a.section.key], a.score, a.sentence) for a in index.ask(question, limit=limit)]
