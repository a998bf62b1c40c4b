"""Ask the policy: the sections of a school's published policies that best match a question in words
("can I accept a friend request from a parent?"). Full-text ranking in the database: SQLite FTS5 with BM25,
PostgreSQL ts_rank over a weighted title + text vector. Title matches count for more than body matches."""

import re
from dataclasses import dataclass

from django.db import connection

from saferstaff.policy.models import PolicySection, PolicyVersion

# Words that carry no meaning for finding a clause; everything else is searched for (any of them).
_STOP = set(
    "a an and are as at be by can could do does for from how i if in is it its may me might must my no not of on "
    "or our should so that the their them they this to us was we what when where which who why will with would "
    "you your am been being did has have having he her him his she than then there these those".split()
)
_WORD = re.compile(r"[a-z0-9]+")
MAX_WORDS = 12


@dataclass(frozen=True)
class Hit:
    section: PolicySection
    rank: float


def terms(question: str) -> list[str]:
    words = [w for w in _WORD.findall(question.lower()) if w not in _STOP and len(w) > 1]
    return list(dict.fromkeys(words))[:MAX_WORDS]


def search_sections(school, question: str, *, limit: int = 8) -> list[Hit]:
    words = terms(question)
    if not words:
        return []
    published = PolicyVersion.objects.filter(school=school, status=PolicyVersion.Status.PUBLISHED)
    version_ids = list(published.values_list("pk", flat=True))
    if not version_ids:
        return []
    placeholders = ",".join(["%s"] * len(version_ids))
    if connection.vendor == "sqlite":
        match = " OR ".join(f'"{w}"' for w in words)  # words are [a-z0-9]+ only: safe inside quotes
        sql = (
            "SELECT s.id, bm25(policy_section_fts, 4.0, 1.0) AS rank FROM policy_section_fts "
            "JOIN policy_policysection s ON s.id = policy_section_fts.rowid "
            f"WHERE policy_section_fts MATCH %s AND s.version_id IN ({placeholders}) ORDER BY rank LIMIT %s"
        )
        params = [match, *version_ids, limit]
        order = 1.0  # bm25: lower is better
    else:
        vector = "(setweight(to_tsvector('english', s.title), 'A') || setweight(to_tsvector('english', s.text), 'B'))"
        sql = (
            f"SELECT s.id, ts_rank({vector}, q) AS rank FROM policy_policysection s, "
            "to_tsquery('english', %s) q "
            f"WHERE {vector} @@ q AND s.version_id IN ({placeholders}) ORDER BY rank DESC LIMIT %s"
        )
        params = [" | ".join(words), *version_ids, limit]
        order = -1.0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ranked = cursor.fetchall()
    sections = PolicySection.objects.select_related("version__policy").in_bulk([pk for pk, _ in ranked])
    return [Hit(sections[pk], order * rank) for pk, rank in ranked if pk in sections]
