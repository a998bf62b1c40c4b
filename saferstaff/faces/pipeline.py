"""Finding and describing the faces in a photo for matching: the one pipeline the album screening and the
benchmark both run. JPEGs are decoded straight at a reduced size (``MATCH_SIDE``) — a face too small to be
found there is too small to be recognised reliably anyway; blurring looks at full size (``models``)."""

from saferstaff.faces.images import load_scaled
from saferstaff.faces.types import Face

MATCH_SIDE = 1280


def find_and_describe(
    data: bytes, detector, embedder, *, max_side: int = MATCH_SIDE
) -> list[tuple[Face, object]]:
    """(face in the photo's own pixels, its description) for every face found."""
    image, scale = load_scaled(data, max_side=max_side)
    faces = detector.detect(image)
    out = []
    for face, vector in zip(faces, embedder.embed_many(image, faces), strict=True):
        if scale != 1.0:
            x, y, w, h = face.box
            face = Face(
                (round(x * scale), round(y * scale), round(w * scale), round(h * scale)),
                face.score,
                tuple((a * scale, b * scale) for a, b in face.landmarks),
            )
        out.append((face, vector))
    return out
