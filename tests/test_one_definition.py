"""One definition of each idea: no two classes in the project share a name, so a reader (or an import) can
never take one room's form, exception or record for another's (Django's own conventions are the exception:
every management command is a ``Command`` and every migration a ``Migration``). And thin pages: no module
of views passes ~400 lines."""

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


# A page module past this is split by page group (photos/views/, policies/views/): a reader finds a page by
# its group, and a module stays one that can be read whole.
VIEW_MODULE_LINES = 400


# Over the limit until a change under way lands: the school's and the trust's dashboards leave for home/
# (issue 13). Delete the entry when they have.
def test_no_view_module_passes_four_hundred_lines():
    modules = [*ROOT.glob("*/views.py"), *ROOT.glob("*/views/*.py")]
    lengths = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in modules}
    assert len(lengths) > 10
    assert {m: n for m, n in lengths.items() if n > VIEW_MODULE_LINES} == {}
