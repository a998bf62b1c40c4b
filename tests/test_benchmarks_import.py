"""The benchmarks import the product's code by its module paths; when a room moves something, a benchmark that
still names the old place fails only when someone runs it (often in CI's last stages). Check every name each
benchmark imports from saferstaff resolves."""

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parents[1] / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.name)
def test_every_name_a_benchmark_imports_from_saferstaff_exists(script):
    missing = []
    for node in ast.walk(ast.parse(script.read_text())):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("saferstaff")):
            continue
        module = importlib.import_module(node.module)
        for alias in node.names:
            if hasattr(module, alias.name):
                continue
            try:
                importlib.import_module(f"{node.module}.{alias.name}")
            except ImportError:
                missing.append(f"line {node.lineno}: {node.module}.{alias.name}")
    assert missing == []


def test_there_are_benchmarks_to_check():
    assert len(BENCHMARKS) >= 8
