"""Deterministic stand-ins for unit tests: no model, no data, the same answer every time.

A stand-in "face" is a square checkerboard of 4-pixel cells, black and pure red whose green channel holds
the person's number (1–250): ``draw_face(image, box, person)``. Like a real face it has texture, so
blurring destroys it. The detector finds such checkerboards; the embedder turns the person's number into a
fixed random unit vector, so the same person always matches with score 1.0 and different people near 0."""

import cv2
import numpy as np

from saferstaff.faces.types import Face, unit

CELL = 4


def draw_face(image: np.ndarray, box, person: int) -> None:
    left, top, width, height = box
    ys, xs = np.mgrid[0:height, 0:width]
    lit = ((ys // CELL + xs // CELL) % 2 == 0)[:, :, None]
    image[top : top + height, left : left + width] = np.where(lit, (0, person, 255), (0, 0, 0))


def _lit(image: np.ndarray) -> np.ndarray:
    """The bright red cells, with room for JPEG's rounding (a published copy is a JPEG)."""
    red, blue = image[:, :, 2].astype(np.int16), image[:, :, 0].astype(np.int16)
    return (red > 180) & (blue < 80) & (red - blue > 150)


class StandInDetector:
    name = "stand-in"

    def detect(self, image: np.ndarray, *, pad: int = 0) -> list[Face]:
        lit = _lit(image).astype(np.uint8)
        joined = cv2.dilate(lit, np.ones((CELL + 1, CELL + 1), np.uint8))
        n, _labels, stats, _ = cv2.connectedComponentsWithStats(joined)
        faces = []
        for i in range(1, n):
            x, y, w, h, _area = stats[i]
            inside = lit[y : y + h, x : x + w].mean() if w and h else 0
            if w >= 16 and h >= 16 and 0.3 <= inside <= 0.7:
                faces.append(Face((int(x), int(y), int(w), int(h)), 1.0))
        return sorted(faces, key=lambda f: (f.box[1], f.box[0]))


class StandInEmbedder:
    name = "stand-in"
    version = "stand-in-1"

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        left, top, width, height = face.box
        region = image[top : top + height, left : left + width]
        lit = _lit(region)
        person = int(np.median(region[:, :, 1][lit])) if lit.any() else 0
        return unit(np.random.default_rng(person).standard_normal(128))

    def embed_many(self, image: np.ndarray, faces: list[Face]) -> list[np.ndarray]:
        return [self.embed(image, f) for f in faces]
