"""Train the tone model: ``python -m saferstaff.textcheck.train_tone`` reads ``data/tone_train.jsonl`` (one
``{"text": ..., "tone": 0 or 1}`` per line) and writes ``data/tone_model.json``.

Logistic regression over hashed features (``tone.features``), full-batch gradient descent with L2, in NumPy:
deterministic, under a minute. Two thresholds:

- *think again*: the lowest whose precision in 5-fold cross-validation on the training set reaches 0.85 (a
  nudge to reread; a false one costs a second look);
- *don't post this*: the lowest at or above it whose precision on the development set
  (``tests/data/screening/drafts.jsonl``, the set the rules are refined on) reaches 0.97 — the model is sure.

The held-out set and the warm posts (``heldout.jsonl``, ``warm.jsonl``) are never read here."""

import json
from importlib import resources
from pathlib import Path

import numpy as np

from saferstaff.textcheck.text import fold
from saferstaff.textcheck.tone import STOP_THRESHOLD_KEY, THRESHOLD_KEY, bucket, features

DEV = Path(__file__).resolve().parents[2] / "tests" / "data" / "screening" / "drafts.jsonl"

SIZE = 1 << 18
L2 = 1e-3
STEPS = 400
RATE = 0.5


def _matrix(texts: list[str]) -> list[np.ndarray]:
    return [np.unique([bucket(f, SIZE) for f in features(t.lower())]) for t in texts]


def _fit(rows: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    w = np.zeros(SIZE, np.float64)
    grad_sq = np.full(SIZE, 1e-8)
    flat = np.concatenate(rows)
    owners = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    for _ in range(STEPS):
        z = np.bincount(owners, weights=w[flat], minlength=len(rows))
        p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        g = np.bincount(flat, weights=(p - y)[owners], minlength=SIZE) / len(rows) + L2 * w
        grad_sq += g * g
        w -= RATE * g / np.sqrt(grad_sq)  # AdaGrad: rare features still learn
    return w


def _scores(w: np.ndarray, rows: list[np.ndarray]) -> np.ndarray:
    z = np.array([w[r].sum() for r in rows])
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


PRECISION = 0.85  # "think again": a false one costs a second look
STOP_PRECISION = 0.97  # "don't post this": a false one on a kind post teaches staff to ignore the checker


def best_threshold(scores: np.ndarray, y: np.ndarray, precision_goal: float = PRECISION, lowest=0.2) -> float:
    """The lowest threshold from ``lowest`` whose precision reaches ``precision_goal`` (the most recall at that
    precision); if none does, the one with the best F1."""
    best, best_f1 = 0.5, -1.0
    for t in np.arange(lowest, 0.991, 0.01):
        predicted = scores >= t
        tp = float((predicted & (y == 1)).sum())
        precision = tp / max(1, predicted.sum())
        recall = tp / max(1, (y == 1).sum())
        if precision >= precision_goal:
            return float(round(t, 2))
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(round(t, 2)), f1
    return best


def main() -> None:
    here = Path(str(resources.files("saferstaff.textcheck"))) / "data"
    examples = [
        json.loads(line) for line in (here / "tone_train.jsonl").read_text().splitlines() if line.strip()
    ]
    texts = [e["text"] for e in examples]
    y = np.array([int(e["tone"]) for e in examples], np.float64)
    rows = _matrix(texts)
    folds = np.arange(len(rows)) % 5
    held_out = np.zeros(len(rows))
    for k in range(5):
        train = [i for i in range(len(rows)) if folds[i] != k]
        w = _fit([rows[i] for i in train], y[train])
        test = [i for i in range(len(rows)) if folds[i] == k]
        held_out[test] = _scores(w, [rows[i] for i in test])
    threshold = best_threshold(held_out, y)
    predicted = held_out >= threshold
    tp = float((predicted & (y == 1)).sum())
    print(
        f"{len(rows)} examples; cross-validated at threshold {threshold}: precision "
        f"{tp / max(1, predicted.sum()):.3f}, recall {tp / max(1, (y == 1).sum()):.3f}"
    )
    w = _fit(rows, y)
    dev = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    dev_y = np.array([any(f["kind"] == "tone" for f in d["findings"]) for d in dev], np.float64)
    dev_scores = _scores(w, _matrix([fold(d["text"]).text for d in dev]))
    stop = best_threshold(dev_scores, dev_y, STOP_PRECISION, lowest=threshold)
    caught = float(((dev_scores >= stop) & (dev_y == 1)).sum())
    print(
        f"stop threshold {stop} (development set: precision {caught / max(1, (dev_scores >= stop).sum()):.3f}, "
        f"recall {caught / max(1, dev_y.sum()):.3f})"
    )
    weights = {str(i): round(float(w[i]), 4) for i in np.flatnonzero(np.abs(w) >= 1e-4)}
    out = {
        "size": SIZE, THRESHOLD_KEY: threshold, STOP_THRESHOLD_KEY: stop, "examples": len(rows),
        "weights": weights,
    }  # fmt: skip
    (here / "tone_model.json").write_text(json.dumps(out, separators=(",", ":"), sort_keys=True))
    print(f"wrote {len(weights)} weights to {here / 'tone_model.json'}")


if __name__ == "__main__":
    main()
