"""Matching face vectors against enrolled pupils: one matrix product for all faces × all pupils.

Thresholds (cosine similarity of unit vectors): at or above ``auto`` a tag is proposed automatically (and
marked as the machine's); between ``review`` and ``auto`` it waits for a person; below ``review`` the face is
unknown. They come from the school's own calibration (``saferstaff calibrate_faces``); the defaults were
measured on adults, whom the models were trained on (see ADR 0004)."""

from dataclasses import dataclass

import numpy as np

from saferstaff.faces.types import unit

AUTO, REVIEW, UNKNOWN = "auto", "review", "unknown"


@dataclass(frozen=True)
class Thresholds:
    auto: float = 0.55
    review: float = 0.40

    def verdict(self, score: float) -> str:
        return AUTO if score >= self.auto else REVIEW if score >= self.review else UNKNOWN


@dataclass(frozen=True)
class Match:
    label: object | None  # the enrolled label (a pupil id), or None when nobody is close enough
    score: float
    verdict: str


class Gallery:
    """Enrolled vectors (several per pupil allowed) and their labels."""

    def __init__(self, labels: list, vectors, thresholds: Thresholds | None = None):
        self.labels = list(labels)
        self.matrix = np.stack([unit(v) for v in vectors]).astype(np.float32) if len(self.labels) else None
        self.thresholds = thresholds or Thresholds()

    def match(self, vectors) -> list[Match]:
        if not len(vectors):
            return []
        if self.matrix is None:
            return [Match(None, 0.0, UNKNOWN) for _ in vectors]
        scores = np.stack([unit(v) for v in vectors]) @ self.matrix.T  # faces × enrolled
        best = scores.argmax(axis=1)
        out = []
        for row, i in enumerate(best):
            score = float(scores[row, i])
            verdict = self.thresholds.verdict(score)
            out.append(Match(self.labels[i] if verdict != UNKNOWN else None, score, verdict))
        return out
