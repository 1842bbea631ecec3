"""Chart tests render charts/housing with the helm binary from scripts/install-k8s-tools.sh.

A missing helm is a failure, never a skip: the fixture raises with the install hint.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chart_support as cs


@pytest.fixture(scope="session")
def helm() -> str:
    try:
        return cs.helm_binary("helm")
    except FileNotFoundError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def rendered(helm: str) -> dict[str, list[dict[str, Any]]]:
    """Every ci/*-values.yaml rendered once: {"canary": [docs...], ...}."""
    out = {}
    for f in cs.CI_VALUES:
        out[f.name.removesuffix("-values.yaml")] = cs.render([f], helm=helm)
    return out
