"""Ask the policy: the sections of a school's policies that answer a question in everyday words ("can I
accept a friend request from a parent?"), best first, each with the sentence that matters most.

Two rankings, fused:

- **full text**: BM25 over each section's title (counted twice) and text, with light stemming, so
  "photos" finds "photographs" and "friends" finds "friend";
- **meaning**: every sentence of every section, prefixed with the section's title, as a MiniLM sentence
  embedding (``embed``); a section scores as its closest sentence to the question, so "DM a kid on insta" finds "contact with students using social
  media" with no word in common.

The two are fused by scaling each ranking's scores to 0–1 across the sections and mixing them, 90% meaning and
10% words (``LEXICAL_WEIGHT``). ``benchmarks/policy_search.py`` measures each alone and fused, and how the
result moves with the share: 0.3, fixed before measuring, did worse than meaning alone; 0.1 was picked on
those same questions, so its edge over meaning alone is not proven."""

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

STOP = frozenset(
    """
    a an and are as at be by can could do does for from how i if in is it its may me might must my no not of
    on or our should so that the their them they this to us was we what when where which who why will with
    would you your am been being did has have having he her him his she than then there these those im i'm
    ok okay just get got allowed anyone someone about into out up any all
    """.split()
)
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'“])|\n+")
LEXICAL_WEIGHT = (
    0.1  # chosen on the 84 questions of benchmarks/policy_search.py (0.3, fixed first, did worse)
)
K1, B = 1.2, 0.75


def stem(word: str) -> str:
    """A light English stemmer: enough to meet "photos"/"photograph", "friends"/"friend", "posting"/"post"."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOP and len(w) > 1]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 3]


@dataclass(frozen=True)
class Section:
    key: int
    number: str
    title: str
    text: str


@dataclass(frozen=True)
class Answer:
    section: Section
    score: float
    sentence: str


@dataclass
class PolicyIndex:
    sections: list[Section]
    embedder: object | None = None
    vectors: np.ndarray | None = None  # one row per sentence; computed with ``embedder`` when not given
    _sentences: list[tuple[int, str]] = field(default_factory=list, init=False)

    def __post_init__(self):
        self._docs = []
        for i, section in enumerate(self.sections):
            self._docs.append(Counter(terms(section.title) * 2 + terms(section.text)))
            for sentence in [section.title, *sentences(section.text)]:
                self._sentences.append((i, sentence))
        self._length = [sum(d.values()) for d in self._docs]
        self._average = (sum(self._length) / len(self._length)) if self._length else 1.0
        df = Counter(t for d in self._docs for t in d)
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        if self.vectors is None and self.embedder is not None and self._sentences:
            self.vectors = self.embedder.encode(self.passages)

    @property
    def passages(self) -> list[str]:
        """What is embedded: each sentence with its section's title before it, so a sentence is read in its
        context ("Creating images of students: it is not acceptable to use personal equipment")."""
        return [
            s if s == self.sections[i].title else f"{self.sections[i].title}: {s}" for i, s in self._sentences
        ]

    def full_text(self, question: str) -> list[tuple[int, float]]:
        words = terms(question)
        scores = []
        for i, doc in enumerate(self._docs):
            score = 0.0
            for t in set(words):
                f = doc.get(t, 0)
                if f:
                    norm = K1 * (1 - B + B * self._length[i] / self._average)
                    score += self._idf[t] * f * (K1 + 1) / (f + norm)
            if score > 0:
                scores.append((i, score))
        return sorted(scores, key=lambda x: -x[1])

    def meaning(self, question: str) -> tuple[list[tuple[int, float]], dict[int, int]]:
        """Sections by their closest sentence; and that sentence's index, per section."""
        if self.vectors is None or self.embedder is None or not len(self.vectors):
            return [], {}
        q = self.embedder.encode([question])[0]
        similarity = self.vectors @ q
        best: dict[int, tuple[float, int]] = {}
        for j, (i, _) in enumerate(self._sentences):
            if i not in best or similarity[j] > best[i][0]:
                best[i] = (float(similarity[j]), j)
        ranked = sorted(((i, s) for i, (s, _) in best.items()), key=lambda x: -x[1])
        return ranked, {i: j for i, (_, j) in best.items()}

    def ask(self, question: str, *, mode: str = "hybrid", limit: int = 5) -> list[Answer]:
        text_ranked = self.full_text(question) if mode in ("hybrid", "full_text") else []
        meaning_ranked, closest = self.meaning(question) if mode in ("hybrid", "meaning") else ([], {})
        if mode == "full_text":
            fused = text_ranked
        elif mode == "meaning":
            fused = meaning_ranked
        else:
            fused = _fused(text_ranked, meaning_ranked)
        words = set(terms(question))
        out = []
        for i, score in fused[:limit]:
            if i in closest:
                sentence = self._sentences[closest[i]][1]
            else:
                candidates = [s for k, s in self._sentences if k == i] or [self.sections[i].title]
                sentence = max(candidates, key=lambda s: len(words & set(terms(s))))
            out.append(Answer(self.sections[i], score, sentence))
        return out


def _normalised(ranked: list[tuple[int, float]]) -> dict[int, float]:
    if not ranked:
        return {}
    top, bottom = ranked[0][1], ranked[-1][1]
    spread = (top - bottom) or 1.0
    return {i: (score - bottom) / spread for i, score in ranked}


def _fused(text_ranked, meaning_ranked, weight: float = LEXICAL_WEIGHT) -> list[tuple[int, float]]:
    """Each ranking's scores scaled to 0–1 over the sections, then mixed: mostly meaning, a share of words."""
    text, meaning = _normalised(text_ranked), _normalised(meaning_ranked)
    if not meaning:
        return text_ranked
    scores = {
        i: (1 - weight) * meaning.get(i, 0.0) + weight * text.get(i, 0.0) for i in set(text) | set(meaning)
    }
    return sorted(scores.items(), key=lambda x: -x[1])
