from django.core.management.base import BaseCommand

from saferstaff.faces import FaceError
from saferstaff.faces.images import load_image
from saferstaff.faces.models import detect_for_blurring


class Command(BaseCommand):
    help = (
        "Find the faces in photos with the detectors the blur step uses. With --json, one JSON object per "
        'photo per line: {"path": ..., "faces": [{"box": [left, top, width, height], "score": ...}]}, in the '
        "photo's own pixels after EXIF orientation."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, paths, json=False, **options):
        import json as json_module

        for path in paths:
            try:
                with open(path, "rb") as f:
                    faces = detect_for_blurring(load_image(f.read()))
            except (OSError, FaceError) as exc:
                row = {"path": path, "error": str(exc), "faces": []}
            else:
                row = {"path": path, "faces": [face.as_json() for face in faces]}
            if json:
                self.stdout.write(json_module.dumps(row))
            else:
                self.stdout.write(
                    f"{path}: {len(row['faces'])} face(s)" + (f" — {row['error']}" if "error" in row else "")
                )
