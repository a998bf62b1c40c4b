from dataclasses import dataclass, field

import numpy as np


class FaceError(Exception):
    """A photo the face pipeline cannot take, with words a school office can act on."""


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # left, top, width, height in the upright image's pixels
    score: float
    landmarks: tuple[tuple[float, float], ...] = field(default=(), compare=False)  # eyes, nose, mouth corners

    def as_json(self) -> dict:
        return {"box": list(self.box), "score": round(self.score, 4)}


def unit(vector) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n else v
