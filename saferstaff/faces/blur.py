"""Making faces unrecognisable before publication: each box is enlarged (hair and chin identify people
too), pixelated to a handful of blocks and then blurred, so neither a person nor a face model can recover
the face — at full size or as a thumbnail (tests check both)."""

import cv2
import numpy as np

MARGIN = 0.35  # of the box's size, on every side
BLOCKS = 6  # the face becomes at most 6 × 6 blocks of colour


def blur(image: np.ndarray, boxes) -> np.ndarray:
    out = image.copy()
    h, w = out.shape[:2]
    for left, top, width, height in boxes:
        dx, dy = int(width * MARGIN), int(height * MARGIN)
        x0, y0 = max(0, left - dx), max(0, top - dy)
        x1, y1 = min(w, left + width + dx), min(h, top + height + dy)
        if x1 <= x0 or y1 <= y0:
            continue
        region = out[y0:y1, x0:x1]
        small = cv2.resize(region, (BLOCKS, BLOCKS), interpolation=cv2.INTER_AREA)
        blocky = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        k = max(3, (min(x1 - x0, y1 - y0) // 4) | 1)
        out[y0:y1, x0:x1] = cv2.GaussianBlur(blocky, (k, k), 0)
    return out
