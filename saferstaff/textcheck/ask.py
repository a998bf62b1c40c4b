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
those same questions, so its edge over meaning alone is not proven.

Scaled scores always have a best section, so "what is the capital of Peru" would get a confident list: a
question is answered only when something in the policy is close in absolute terms (``covers``: the closest
sentence's similarity plus a capped share of the best full-text score reaches ``MIN_CLOSENESS``).

The sentence shown for a section is its sentence (never its bare title) closest in meaning, nudged by the
question's rarer words in it and by how close its neighbours are (the answer is often the sentence after a
lead-in)."""

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
# Is anything close? Chosen on the 84 policy questions and 38 off-topic ones of benchmarks/policy_search.py:
# the lowest policy question scores 0.36, the highest off-topic one 0.31.
MIN_CLOSENESS = 0.34
WORDS_CUE, BM25_CAP = 0.2, 5.0
# Choosing the sentence: its similarity + these shares of the question's words in it and of its closest
# neighbour's similarity (picked on the even-numbered questions; see the benchmark).
SENTENCE_WORDS, SENTENCE_NEIGHBOUR = 0.05, 0.1


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
class Passage:
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

    def similarity(self, question: str) -> np.ndarray | None:
        """The question's cosine similarity to every sentence, or None before the sentences are embedded."""
        if self.vectors is None or self.embedder is None or not len(self.vectors):
            return None
        return self.vectors @ self.embedder.encode([question])[0]

    def meaning(self, similarity: np.ndarray | None) -> list[tuple[int, float]]:
        """Sections by their closest sentence."""
        if similarity is None:
            return []
        best: dict[int, float] = {}
        for j, (i, _) in enumerate(self._sentences):
            best[i] = max(best.get(i, -1.0), float(similarity[j]))
        return sorted(best.items(), key=lambda x: -x[1])

    def covers(self, similarity: np.ndarray | None, text_ranked: list[tuple[int, float]]) -> bool:
        """Is anything in the policy close to the question? Without embeddings, any word in common."""
        words = min(text_ranked[0][1], BM25_CAP) / BM25_CAP if text_ranked else 0.0
        if similarity is None:
            return words > 0
        return float(similarity.max()) + WORDS_CUE * words >= MIN_CLOSENESS

    def sentence(self, i: int, question: str, similarity: np.ndarray | None) -> str:
        """The sentence of section ``i`` that best answers the question."""
        candidates = [
            (j, s) for j, (k, s) in enumerate(self._sentences) if k == i and s != self.sections[i].title
        ]
        if not candidates:
            return self.sections[i].title
        words = set(terms(question))
        weight = sum(self._idf.get(t, 1.0) for t in words) or 1.0  # a word the policy lacks counts too

        def share(text: str) -> float:  # the question's words in the sentence, rarer words counting more
            return sum(self._idf.get(t, 0.0) for t in words & set(terms(text))) / weight

        if similarity is None:
            return max(candidates, key=lambda c: share(c[1]))[1]
        scores = []
        for n, (j, text) in enumerate(candidates):
            neighbours = [
                float(similarity[candidates[m][0]]) for m in (n - 1, n + 1) if 0 <= m < len(candidates)
            ]
            scores.append(
                float(similarity[j])
                + SENTENCE_WORDS * share(text)
                + SENTENCE_NEIGHBOUR * max(neighbours, default=0.0)
            )
        return candidates[int(np.argmax(scores))][1]

    def ask(self, question: str, *, mode: str = "hybrid", limit: int = 5) -> list[Passage]:
        """The sections that answer ``question``, best first; [] when nothing in the policy is close."""
        text_ranked = self.full_text(question)
        similarity = self.similarity(question) if mode in ("hybrid", "meaning") else None
        if not self.covers(similarity, text_ranked):
            return []
        meaning_ranked = self.meaning(similarity)
        if mode == "full_text":
            fused = text_ranked
        elif mode == "meaning":
            fused = meaning_ranked
        else:
            fused = _fused(text_ranked, meaning_ranked)
        return [
            Passage(self.sections[i], score, self.sentence(i, question, similarity))
            for i, score in fused[:limit]
        ]


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
