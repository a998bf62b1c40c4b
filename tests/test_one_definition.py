"""One definition of each idea: no two classes in the project share a name, so a reader (or an import) can
never take one room's form, exception or record for another's. Django's own conventions are the exception:
every management command is a ``Command`` and every migration a ``Migration``."""

import ast
import pathlib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent / "saferstaff"
BY_CONVENTION = {"Command", "Migration"}


def test_no_two_classes_share_a_name():
    places = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and node.name not in BY_CONVENTION:
                places[node.name].append(str(path.relative_to(ROOT)))
    assert {name: where for name, where in places.items() if len(where) > 1} == {}
