"""The rooms cut by module in the import-linter layers (pyproject.toml) list every module they hold: a module
left out would not be checked at all."""

import pkgutil
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _layered() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}


@pytest.mark.parametrize("room", sorted({m.rsplit(".", 1)[0] for m in _layered() if m.count(".") == 2}))
def test_a_room_cut_by_module_lists_every_module(room):
    layered = _layered()
    assert room not in layered
    package = ROOT / room.replace(".", "/")
    modules = {f"{room}.{m.name}" for m in pkgutil.iter_modules([str(package)]) if m.name != "__init__"}
    assert modules - layered == set(), "list these in a layer of [tool.importlinter] in pyproject.toml"
