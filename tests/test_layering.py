"""Imports point one way: predictor, training, monitoring and rollout depend on model only."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COMPONENTS = ("model", "training", "predictor", "monitoring", "rollout")
ALLOWED = {"model": set(), **{c: {"model"} for c in COMPONENTS[1:]}}
ONLY_IN = {"kserve": "predictor", "evidently": "monitoring"}


def imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for file in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(file.relative_to(REPO).as_posix())
    return found


@pytest.mark.parametrize("package", COMPONENTS)
def test_package_imports_only_allowed_components(package):
    used = imports(package)
    wrong = {
        c: used[c] for c in COMPONENTS if c in used and c != package and c not in ALLOWED[package]
    }
    assert not wrong, f"{package} must not import {wrong}"


@pytest.mark.parametrize(("library", "owner"), ONLY_IN.items())
def test_library_is_imported_only_by_its_component(library, owner):
    users = {p for p in COMPONENTS if library in imports(p)}
    assert users <= {owner}, f"{library} imported by {users - {owner}}"


def test_only_training_calls_fit():
    offenders = []
    for package in ("model", "predictor", "monitoring", "rollout"):
        for file in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"fit", "fit_transform"}
                    and file.name != "features.py"
                ):
                    offenders.append(f"{file.relative_to(REPO)}:{node.lineno}")
    assert not offenders, offenders
