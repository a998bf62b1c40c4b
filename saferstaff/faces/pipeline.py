"""Finding and describing the faces in a photo for matching: the one pipeline the album screening and the
benchmark both run.

- A JPEG is decoded straight at a reduced size, at least ``DESCRIBE_SIDE`` on its long side (the decoder
  skips detail: several times faster than a full decode); faces are described from that.
- Faces are found on a copy at most ``DETECT_SIDE`` on its long side: a face too small to be found there is
  too small to be recognised reliably anyway. Blurring does not use this: it looks at full size.
- ``describe_all`` runs photos on every core at once (the decoder, ONNX Runtime and OpenCV release the GIL;
  the threads share the models: ONNX Runtime sessions run concurrently, the OpenCV net takes turns) and
  hands back results in order, holding only a few photos in memory."""

import collections
import functools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import cv2

from saferstaff.faces.images import load_scaled
from saferstaff.faces.types import Face, FaceError

DESCRIBE_SIDE = 1024
DETECT_SIDE = 800


def _scaled(face: Face, factor: float) -> Face:
    if factor == 1.0:
        return face
    return Face(
        tuple(round(v * factor) for v in face.box),
        face.score,
        tuple((a * factor, b * factor) for a, b in face.landmarks),
    )


def find_and_describe(data: bytes, detector, embedder) -> list[tuple[Face, object]]:
    """(face in the photo's own pixels, its description) for every face found."""
    image, scale = load_scaled(data, max_side=DESCRIBE_SIDE)
    return [(_scaled(face, scale), vector) for face, vector in describe(image, detector, embedder)]


def describe(image, detector, embedder) -> list[tuple[Face, object]]:
    """(face in ``image``'s pixels, its description) for every face found in an already decoded photo."""
    h, w = image.shape[:2]
    shrink = min(1.0, DETECT_SIDE / max(h, w))
    small = (
        cv2.resize(image, (round(w * shrink), round(h * shrink)), interpolation=cv2.INTER_AREA)
        if shrink < 1
        else image
    )
    faces = [_scaled(face, 1 / shrink) for face in detector.detect(small)]
    return list(zip(faces, embedder.embed_many(image, faces), strict=True))


def describe_all(
    photos: Iterable[Callable[[], bytes]], models: Callable[[], tuple], *, workers: int | None = None
) -> Iterator[list[tuple[Face, object]] | FaceError]:
    """``find_and_describe`` for each photo (given as a function that reads its bytes), in order; a photo
    that cannot be read gives its ``FaceError``. ``models()`` gives a thread its (detector, embedder)."""
    workers = workers or os.cpu_count() or 1

    def one(read: Callable[[], bytes]):
        try:
            return find_and_describe(read(), *models())
        except FaceError as problem:
            return problem

    pool = _pool(workers)
    waiting = collections.deque()
    for read in photos:
        waiting.append(pool.submit(one, read))
        if len(waiting) >= 2 * workers:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


@functools.cache
def _pool(workers: int) -> ThreadPoolExecutor:
    """Threads that live as long as the process, so each loads its models once."""
    return ThreadPoolExecutor(workers, thread_name_prefix="faces")
