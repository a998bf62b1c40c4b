"""Face boxes (left, top, width, height) compared and merged: the blurring detectors and the screening each
find the same face, a little differently; a face is counted, listed and blurred once."""

Box = tuple[int, int, int, int]
SAME_FACE = 0.3  # overlap (intersection over union) from which two boxes are one face


def _intersection(a, b) -> int:
    w = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return w * h


def iou(a, b) -> float:
    inter = _intersection(a, b)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def same_face(a, b) -> bool:
    """Do the boxes frame the same face? They overlap enough, or one lies mostly inside the other (one
    detector frames the face alone, the other with the hair and chin)."""
    inter = _intersection(a, b)
    smaller = min(a[2] * a[3], b[2] * b[3])
    return iou(a, b) >= SAME_FACE or (smaller > 0 and inter / smaller >= 0.6)


def union(a, b) -> Box:
    left, top = min(a[0], b[0]), min(a[1], b[1])
    right, bottom = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (left, top, right - left, bottom - top)


def merged(boxes) -> list[Box]:
    """One box per face: boxes of the same face become the box that covers them all (blurring the larger
    area is the safe side)."""
    out: list[Box] = []
    for box in boxes:
        box = tuple(int(v) for v in box)
        for i, kept in enumerate(out):
            if same_face(kept, box):
                out[i] = union(kept, box)
                break
        else:
            out.append(box)
    # A union can grow to touch a box it did not touch before: merge until nothing changes.
    if len(out) > 1 and any(same_face(a, b) for i, a in enumerate(out) for b in out[i + 1 :]):
        return merged(out)
    return out
