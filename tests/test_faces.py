"""Faces (§5): the library's pipeline with deterministic stand-ins, decoding every kind of photo, and the
real models on ../shared/data/faces (skipped without it; CI runs them)."""

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from saferstaff.faces import FaceError
from saferstaff.faces.blur import blur
from saferstaff.faces.images import load_image
from saferstaff.faces.match import AUTO, REVIEW, UNKNOWN, Gallery, Thresholds
from saferstaff.faces.standin import StandInDetector, StandInEmbedder, draw_face

from .conftest import skip_or_fail

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"


def photo_with(people: dict[int, tuple]) -> np.ndarray:
    image = np.full((480, 640, 3), 90, dtype=np.uint8)
    for person, box in people.items():
        draw_face(image, box, person)
    return image


# --- The pipeline, with stand-ins --------------------------------------------------------------------------------


def test_stand_ins_find_and_match_each_face_and_unknown_faces_stay_unknown():
    detector, embedder = StandInDetector(), StandInEmbedder()
    enrolled = {7: photo_with({7: (10, 10, 60, 60)}), 9: photo_with({9: (10, 10, 60, 60)})}
    gallery = Gallery(
        list(enrolled), [embedder.embed(img, detector.detect(img)[0]) for img in enrolled.values()]
    )
    group = photo_with({7: (50, 50, 80, 80), 9: (300, 60, 70, 70), 42: (450, 300, 90, 90)})
    faces = detector.detect(group)
    matches = gallery.match([embedder.embed(group, f) for f in faces])
    assert [(m.label, m.verdict) for m in matches] == [(7, AUTO), (9, AUTO), (None, UNKNOWN)]


def test_thresholds_sort_scores_into_auto_review_and_unknown():
    t = Thresholds(auto=0.6, review=0.4)
    assert [t.verdict(s) for s in (0.9, 0.6, 0.5, 0.4, 0.1)] == [AUTO, AUTO, REVIEW, REVIEW, UNKNOWN]
    assert Gallery([], []).match([np.ones(128)])[0].verdict == UNKNOWN  # nobody enrolled


def test_a_blurred_face_is_found_no_more():
    image = photo_with({7: (100, 100, 120, 120)})
    faces = StandInDetector().detect(image)
    assert len(faces) == 1
    assert StandInDetector().detect(blur(image, [f.box for f in faces])) == []


# --- Decoding every kind of photo ----------------------------------------------------------------------------------


def encoded(im: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def test_orientation_cmyk_16_bit_rgba_and_animated_gif_all_come_out_upright_bgr():
    wide = Image.new("RGB", (300, 200), (10, 20, 30))
    exif = wide.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    assert load_image(encoded(wide, "JPEG", exif=exif)).shape == (300, 200, 3)
    assert load_image(encoded(Image.new("CMYK", (40, 30), (0, 0, 0, 0)), "JPEG")).shape == (30, 40, 3)
    sixteen = Image.fromarray(np.full((30, 40), 40000, dtype=np.uint16))
    assert load_image(encoded(sixteen, "PNG")).max() == 255
    assert load_image(encoded(Image.new("RGBA", (40, 30), (1, 2, 3, 0)), "PNG")).shape == (30, 40, 3)
    frames = [Image.new("P", (40, 30), i) for i in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    assert load_image(gif.getvalue()).shape == (30, 40, 3)


def test_a_20000_pixel_square_photo_is_refused_before_decoding():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    with pytest.raises(FaceError, match="than any school camera takes"):
        load_image(png)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "could not be read"),
        (b"not a photo at all", "could not be read"),
    ],
    ids=["damaged-heic", "not-a-photo"],
)
def test_photos_the_pipeline_cannot_take_get_a_clear_message(data, words):
    with pytest.raises(FaceError, match=words):
        load_image(data)


def test_a_truncated_photo_is_refused():
    data = encoded(Image.effect_noise((400, 300), 50).convert("RGB"), "JPEG")
    with pytest.raises(FaceError, match="cut short"):
        load_image(data[: len(data) // 2])


# --- The real models on ../shared/data/faces -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    if not DATA.is_dir():
        skip_or_fail(f"{DATA} is missing: the real face models are tested on the shared photos")
    from saferstaff.faces.models import default

    detector, embedder = default()

    def vectors(path: Path):
        image = load_image(path.read_bytes())
        faces = detector.detect(image)
        return image, faces, [embedder.embed(image, f) for f in faces]

    names, enrolled = [], []
    for path in sorted((DATA / "enrol").iterdir()):
        _, faces, vecs = vectors(path)
        assert len(faces) == 1, path.name
        names.append(path.stem)
        enrolled.append(vecs[0])
    return detector, embedder, vectors, Gallery(names, enrolled)


def test_every_enrolled_probe_matches_its_person_and_every_unknown_matches_nobody(real):
    _detector, _embedder, vectors, gallery = real
    for path in sorted((DATA / "probe").iterdir()):
        _, faces, vecs = vectors(path)
        best = max(gallery.match(vecs), key=lambda m: m.score)
        truth = path.stem.split("__")[0]
        if truth == "unknown":
            assert best.verdict == UNKNOWN, f"{path.name} matched {best.label} ({best.score:.2f})"
        else:
            assert (best.label, best.verdict) == (truth, AUTO), f"{path.name}: {best}"


def test_both_blurring_detectors_find_every_face_in_the_group_photos(real):
    from saferstaff.faces.models import centerface

    for path in sorted((DATA / "group").iterdir()):
        image = load_image(path.read_bytes())
        yunet = real[0].detect(image)
        assert len(centerface().detect(image)) == len(yunet) >= 2, path.name


def test_group_photos_find_everyone_enrolled_and_no_one_else(real):
    _detector, _embedder, vectors, gallery = real
    for path in sorted((DATA / "group").iterdir()):
        expected = {n for n in path.stem.split("_and_") if n != "unknown"}
        expected = {n.rstrip("_0123456789") if n not in gallery.labels else n for n in expected}
        found = {m.label for m in gallery.match(vectors(path)[2]) if m.verdict == AUTO}
        assert found == expected, path.name


@pytest.mark.parametrize("thumbnail", [False, True], ids=["full-size", "thumbnail"])
def test_a_blurred_face_is_neither_detected_nor_matchable(real, thumbnail):
    detector, embedder, vectors, gallery = real
    path = DATA / "group" / "obama_and_biden_2.jpg"
    image, faces, _ = vectors(path)
    blurred = blur(image, [f.box for f in faces])
    if thumbnail:
        import cv2

        blurred = cv2.resize(
            blurred, (blurred.shape[1] // 4, blurred.shape[0] // 4), interpolation=cv2.INTER_AREA
        )
    from saferstaff.faces.models import detect_for_blurring

    left = detect_for_blurring(blurred)  # YuNet and CenterFace
    assert left == [], f"still detected: {left}"
    # Even where the faces were, nothing matches anyone above the unknown threshold.
    scale = 4 if thumbnail else 1
    for f in faces:
        x, y, w, h = (v // scale for v in f.box)
        probe = type(f)((x, y, w, h), f.score, tuple((a / scale, b / scale) for a, b in f.landmarks))
        match = gallery.match([embedder.embed(blurred, probe)])[0]
        assert match.verdict == UNKNOWN, match


def test_detect_faces_prints_one_json_line_per_photo(real, capsys):
    from django.core.management import call_command

    paths = [str(p) for p in sorted((DATA / "group").iterdir())]
    call_command("detect_faces", "--json", *paths)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["path"] for row in lines] == paths
    assert all(len(row["faces"]) >= 2 and len(row["faces"][0]["box"]) == 4 for row in lines)


def test_a_large_jpeg_is_decoded_smaller_for_matching_and_the_factor_maps_back():
    from saferstaff.faces.images import load_scaled

    big = Image.new("RGB", (4000, 3000), (120, 90, 60))
    exif = big.getexif()
    exif[0x0112] = 6  # turned: the upright photo is 3000 wide, 4000 high
    image, scale = load_scaled(encoded(big, "JPEG", exif=exif), max_side=1280)
    assert scale == 2 and image.shape == (2000, 1500, 3)
    full, one = load_scaled(encoded(big, "JPEG", exif=exif))
    assert one == 1 and full.shape == (4000, 3000, 3)


def test_describing_a_photos_faces_together_gives_what_one_at_a_time_gives(real):
    detector, embedder, _vectors, _gallery = real
    image = load_image((DATA / "group" / "obama_and_biden.jpg").read_bytes())
    faces = detector.detect(image)
    together = embedder.embed_many(image, faces)
    for face, vector in zip(faces, together, strict=True):
        assert float(vector @ embedder.embed(image, face)) > 0.999


def _mosaic(real, n: int, size: tuple[int, int], tile: int) -> np.ndarray:
    """A photo of ``size`` (width, height) with ``n`` faces of the set, each in a ``tile``-pixel square."""
    import cv2

    detector = real[0]
    crops = []
    for path in sorted((DATA / "enrol").iterdir()) + sorted((DATA / "probe").iterdir()):
        image = load_image(path.read_bytes())
        for x, y, w, h in (f.box for f in detector.detect(image)):
            m = int(0.4 * max(w, h))
            crops.append(image[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m])
    canvas = np.full((size[1], size[0], 3), 200, np.uint8)
    across = size[0] // tile
    for i in range(n):
        r, c = divmod(i, across)
        canvas[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = cv2.resize(
            crops[i % len(crops)], (tile, tile)
        )
    return canvas


def test_a_hundred_faces_in_one_photo_are_all_found_and_described(real):
    from saferstaff.faces.pipeline import find_and_describe

    photo = encoded(Image.fromarray(_mosaic(real, 100, (4000, 4000), 400)[:, :, ::-1]), "JPEG")
    found = find_and_describe(photo, *real[:2])
    assert len(found) == 100
    assert all(len(vector) == 128 for _, vector in found)


def test_tiny_faces_too_small_to_match_are_still_found_for_blurring(real):
    import cv2

    from saferstaff.faces.models import detect_for_blurring
    from saferstaff.faces.pipeline import find_and_describe

    # Twelve faces about 30 pixels high across a 4000-pixel photo: too small to recognise anyone by.
    strip = cv2.resize(_mosaic(real, 12, (12 * 320, 320), 320), (12 * 48, 48), interpolation=cv2.INTER_AREA)
    photo = np.full((3000, 4000, 3), 200, np.uint8)
    photo[1400:1448, 1800 : 1800 + 12 * 48] = strip
    faces = detect_for_blurring(photo)
    covered = {i for i in range(12) for f in faces if f.box[0] <= 1800 + i * 48 + 24 <= f.box[0] + f.box[2]}
    assert covered == set(range(12)), f"faces not found for blurring: {set(range(12)) - covered}"
    # The screening may find fewer (those stay unknown, so they are blurred), but it never fails on them.
    assert len(find_and_describe(encoded(Image.fromarray(photo[:, :, ::-1]), "JPEG"), *real[:2])) <= 12


def test_the_detector_gives_what_opencvs_own_yunet_gives(real):
    import cv2

    from saferstaff.faces.models import YUNET, _model

    reference = cv2.FaceDetectorYN.create(_model(YUNET), "", (320, 320), 0.7, 0.3, 5000)
    for path in sorted((DATA / "group").iterdir()) + sorted((DATA / "probe").iterdir()):
        image = load_image(path.read_bytes())
        if max(image.shape) > 2000:
            continue  # the detector scales these down first; compare like with like
        reference.setInputSize((image.shape[1], image.shape[0]))
        _, rows = reference.detect(image)
        theirs = sorted(tuple(int(round(v)) for v in row[:4]) for row in rows)
        ours = sorted(face.box for face in real[0].detect(image))
        assert len(ours) == len(theirs), path.name
        for a, b in zip(ours, theirs, strict=True):
            assert max(abs(p - q) for p, q in zip(a, b, strict=True)) <= 4, (path.name, a, b)


def test_the_float_model_describes_faces_as_the_quantised_file_does(real):
    import cv2

    from saferstaff.faces.models import SFACE, _model
    from saferstaff.faces.runtime import _OnnxRuntime

    blob = cv2.dnn.blobFromImages(
        [np.random.default_rng(i).integers(0, 255, (112, 112, 3), dtype=np.uint8) for i in range(3)],
        1.0, (112, 112), (0, 0, 0), swapRB=True,
    )  # fmt: skip
    quantised = cv2.dnn.readNetFromONNX(_model(SFACE))
    quantised.setInput(blob, "data")
    theirs = quantised.forward()
    (ours,) = _OnnxRuntime(_model(SFACE), (0,)).run({"data": blob})
    for a, b in zip(ours, theirs, strict=True):
        assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.999


def test_a_gpu_is_used_when_onnx_runtime_has_one_unless_told_otherwise(monkeypatch):
    from saferstaff.faces import runtime

    assert runtime.providers(["CUDAExecutionProvider", "CPUExecutionProvider"]) == [
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]
    assert runtime.providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    monkeypatch.setenv("FACE_DEVICE", "cpu")
    assert runtime.providers(["CUDAExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]


def test_the_recogniser_runs_in_onnx_runtime_on_a_gpu_and_in_opencv_on_a_cpu(monkeypatch):
    from saferstaff.faces import runtime
    from saferstaff.faces.models import SFACE, _model

    monkeypatch.setattr(runtime, "providers", lambda: ["CPUExecutionProvider"])
    assert isinstance(runtime.network(_model(SFACE), (0,), opencv_on_cpu=True), runtime._OpenCV)
    made = []
    monkeypatch.setattr(runtime, "providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(runtime._OnnxRuntime, "__init__", lambda self, *args: made.append(args))
    assert isinstance(runtime.network(_model(SFACE), (0,), opencv_on_cpu=True), runtime._OnnxRuntime)
    assert made == [(_model(SFACE), (0,))]


# --- Faces for blurring: each counted once, found up to the photo's edges ------------------------------------


def test_boxes_of_one_face_from_two_detectors_are_one_face():
    from saferstaff.faces.boxes import merged

    # The same face framed twice (tight, and with hair and chin), and a face elsewhere.
    assert merged([(100, 100, 50, 60), (92, 90, 66, 80), (300, 100, 50, 60)]) == [
        (92, 90, 66, 80),
        (300, 100, 50, 60),
    ]


def test_a_one_face_photo_counts_one_face_not_one_per_detector(real):
    from saferstaff.faces.blur import find_faces
    from saferstaff.faces.models import detectors_for_blurring

    image = load_image((DATA / "enrol" / "obama.jpg").read_bytes())
    hits = [face for detector in detectors_for_blurring() for face in detector.detect(image)]
    assert len(hits) == 2  # each detector finds the face
    assert len(find_faces(image, detectors_for_blurring())) == 1


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_face_the_edge_cuts_off_is_found_for_blurring(real, side):
    """A 100-pixel face of which only 20 pixels are inside the photo: the detectors alone miss it; found
    on the photo padded with its mirror image, its box is clipped to the 20 pixels inside."""
    import cv2

    from saferstaff.faces.blur import find_faces
    from saferstaff.faces.models import detectors_for_blurring

    image = load_image((DATA / "enrol" / "obama.jpg").read_bytes())
    x, y, w, h = real[0].detect(image)[0].box
    top, left = max(0, y - h // 2), max(0, x - h // 2)
    scale = 100 / w
    face = cv2.resize(
        image[top : y + h + h // 2, left : x + w + h // 2],
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA,
    )  # fmt: skip  (the face is now 100 px wide)
    inside = face[:400, int((x - left) * scale) + 80 :]  # its right-hand 20 px, and what lies beyond
    photo = np.full((600, 800, 3), 170, np.uint8)
    photo[200 : 200 + inside.shape[0], : inside.shape[1]] = inside
    if side == "right":
        photo = photo[:, ::-1].copy()
    near_edge = [
        f.box
        for f in find_faces(photo, detectors_for_blurring())
        if (f.box[0] == 0 if side == "left" else f.box[0] + f.box[2] == 800)
    ]
    assert len(near_edge) == 1, near_edge
    plain = [f.box for d in detectors_for_blurring() for f in d.detect(photo)]
    assert not [b for b in plain if b[0] < 30 or b[0] + b[2] > 770]  # what the detectors alone give
    left, top, width, height = near_edge[0]
    assert width <= 40 and 150 < top + height / 2 < 400
