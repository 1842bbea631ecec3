"""Every console script: a bad flag or value is exit 2 with one line naming it; --help explains
every flag. The scripts are read from pyproject.toml, so a new one is covered too."""

from __future__ import annotations

import argparse
import importlib
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from model import cli
from support import REPO, failure_line

SCRIPTS: dict[str, str] = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]

# Arguments a script needs before a flag can be judged alone.
VALID = {
    "housing-batch": ["--bundle", "b", "--input", "i", "--output", "o"],
    "housing-rollout": ["status"],
    "housing-feedback": ["report"],
}
# One bad value per script, and the field or flag the message must name.
BAD = {
    "housing-train": (["--cv-folds", "x"], "cv_folds"),
    "housing-batch": (
        ["--bundle", "b", "--input", "i", "--output", "o", "--log-level", "X"],
        "--log-level",
    ),
    "housing-predictor": (["--max_batch_rows", "0"], "max_batch_rows"),
    "housing-collector": (["--port", "65536"], "collector_port"),
    "housing-drift": (["--window-hours", "0"], "window_hours"),
    "housing-dashboard": (["--port", "0"], "dashboard_port"),
    "housing-rollout": (["canary", "ten"], "percent"),
    "housing-feedback": (["report", "--rmse-margin", "-1"], "rmse_margin"),
}


def _main(script: str) -> Callable[..., int]:
    module, _, func = SCRIPTS[script].partition(":")
    main: Callable[..., int] = getattr(importlib.import_module(module), func)
    return main


def test_every_script_has_a_bad_value_case() -> None:
    assert set(BAD) == set(SCRIPTS)


@pytest.mark.parametrize("script", sorted(BAD))
def test_bad_value_exits_2_with_one_line_naming_it(script: str, capsys: Any) -> None:
    argv, name = BAD[script]
    assert _main(script)(argv) == 2
    captured = capsys.readouterr()
    line = failure_line(captured.out, captured.err)
    assert line.startswith(f"{script}: error: ") and name in line


@pytest.mark.parametrize("script", sorted(BAD))
def test_unknown_flag_exits_2_with_one_line(script: str, capsys: Any) -> None:
    assert _main(script)([*VALID.get(script, []), "--no-such-flag"]) == 2
    captured = capsys.readouterr()
    assert "--no-such-flag" in failure_line(captured.out, captured.err)


@pytest.mark.parametrize(
    ("script", "env", "field"),
    [
        ("housing-collector", "HOUSING_COLLECTOR_PORT", "collector_port"),
        ("housing-dashboard", "HOUSING_DASHBOARD_PORT", "dashboard_port"),
        ("housing-train", "HOUSING_CANDIDATE", "candidate"),
    ],
)
def test_bad_env_var_exits_2_naming_the_field(
    script: str, env: str, field: str, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setenv(env, "nonsense")
    assert _main(script)([]) == 2
    captured = capsys.readouterr()
    assert field in failure_line(captured.out, captured.err)


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_help_explains_every_flag(script: str, monkeypatch: Any, capsys: Any) -> None:
    shown: list[argparse.ArgumentParser] = []
    monkeypatch.setattr(
        cli.ArgumentParser, "print_help", lambda self, file=None: shown.append(self)
    )
    with pytest.raises(SystemExit) as exit_:
        _main(script)(["--help"])
    assert exit_.value.code == 0
    undocumented = [
        f"{p.prog} {a.option_strings or a.dest}"
        for p in _parsers(shown[0])
        for a in p._actions
        if not isinstance(a, argparse._SubParsersAction)
        and (not a.help or a.help == argparse.SUPPRESS)
    ]
    assert len(shown) == 1 and not undocumented


def test_candidate_help_lists_the_choices(capsys: Any) -> None:
    from training.candidates import CHAMPION, ladder

    with pytest.raises(SystemExit):
        _main("housing-train")(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert CHAMPION in text and all(name in text for name in ladder())
