"""Generate the values table of charts/housing/README.md from values.yaml's helm-docs comments.

helm-docs (a Go binary) cannot be installed here, so this reads the same ``# --`` convention:
a ``# -- text`` comment (plus following ``#`` lines) documents the key right below it. A documented
key whose value is a mapping is one row (its whole default), as in helm-docs.

    python tests/charts/chart_values_table.py          # exit 1 when README.md is stale
    python tests/charts/chart_values_table.py --write  # rewrite the table in README.md
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[2] / "charts" / "housing"
START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?P<rest>.*)$")


def documented_keys(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Return ([(dotted key, description)], [dotted keys that are leaves without a comment])."""
    rows: list[tuple[str, str]] = []
    undocumented: list[str] = []
    stack: list[tuple[int, str]] = []
    pending: list[str] | None = None
    covered: list[str] = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("# --"):
            pending = [stripped[4:].strip()]
            continue
        if stripped.startswith("#") and pending is not None:
            pending.append(stripped.lstrip("#").strip())
            continue
        m = _KEY.match(line)
        if not m:
            if stripped and not stripped.startswith("-"):
                pending = None
            continue
        indent = len(m["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([p for _, p in stack] + [m["key"]])
        is_mapping = m["rest"].strip() == "" and _next_is_deeper(lines, n, indent)
        if pending is not None:
            rows.append((path, " ".join(pending)))
            covered.append(path)
        elif not is_mapping and not any(path.startswith(c + ".") for c in covered):
            undocumented.append(path)
        pending = None
        stack.append((indent, m["key"]))
    return rows, undocumented


def _next_is_deeper(lines: list[str], n: int, indent: int) -> bool:
    for nxt in lines[n + 1 :]:
        if nxt.strip() and not nxt.strip().startswith("#"):
            return len(nxt) - len(nxt.lstrip(" ")) > indent
    return False


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"


def table(chart: Path = CHART) -> str:
    text = (chart / "values.yaml").read_text()
    values = yaml.safe_load(text)
    rows, _ = documented_keys(text)
    out = ["| Key | Type | Default | Description |", "|-----|------|---------|-------------|"]
    for key, desc in rows:
        value = _lookup(values, key)
        default = json.dumps(value, separators=(",", ":")).replace("|", "\\|")
        text_desc = desc.replace("|", "\\|")
        out.append(f"| {key} | {_type(value)} | `{default}` | {text_desc} |")
    return "\n".join(out)


def readme_with_table(readme: str, chart: Path = CHART) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table(chart)}\n{END}{tail}"


def main(argv: list[str]) -> int:
    readme_path = CHART / "README.md"
    current = readme_path.read_text()
    wanted = readme_with_table(current)
    if "--write" in argv:
        readme_path.write_text(wanted)
        return 0
    if current != wanted:
        script = Path(__file__).relative_to(CHART.parents[1])
        print(f"{readme_path} values table is stale: run python {script} --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
