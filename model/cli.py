"""The one runner of every console script: flags -> settings -> job -> exit code.

Exit codes (docs/contracts.md): 0 ok; ``HousingError.exit_code`` (2 unless a subclass says
otherwise) for a bad flag, setting, input or bundle; 1 for anything unexpected. Every failure is
one JSON log line plus one line on stderr, never a traceback on the terminal.
"""

from __future__ import annotations

import argparse
import logging
import logging.config
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, NoReturn, TypeVar

from pydantic import AliasChoices, ValidationError
from pydantic.fields import FieldInfo

from model.errors import HousingError
from model.logging import log_config
from model.settings import HousingSettings

S = TypeVar("S", bound=HousingSettings)
logger = logging.getLogger(__name__)


class UsageError(HousingError):
    """An unknown flag, a missing argument or a value argparse rejects (exit 2)."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def env_names(cls: type[HousingSettings], name: str) -> list[str]:
    """The env var(s) a settings field is read from, e.g. ``['HOUSING_LOG_LEVEL']``."""
    alias = cls.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(a) for a in alias.choices]
    if isinstance(alias, str):
        return [alias]
    return [f"{cls.model_config.get('env_prefix', '')}{name}".upper()]


def describe(field: FieldInfo) -> str:
    """A field's docstring on one line (the settings class must have one per field)."""
    return " ".join((field.description or "").split())


def _literal_choices(annotation: Any) -> list[str] | None:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Literal:
        return [str(a) for a in args]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in args:
            if (choices := _literal_choices(arg)) is not None:
                return choices
    return None


def add_settings_flags(
    parser: argparse.ArgumentParser,
    cls: type[HousingSettings],
    fields: Iterable[str],
    *,
    flags: Mapping[str, str] | None = None,
    choices: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Add one flag per settings field, its help text taken from the field's docstring.

    Values stay strings (booleans become ``--x/--no-x``): pydantic converts and validates them
    with the env vars, so a bad value is reported under the field's name.

    Args:
        parser: where the flags go. cls: the settings class. fields: field names to expose.
        flags: field name -> flag when it is not ``--field-name`` (e.g. ``--port``).
        choices: field name -> allowed values (``Literal`` fields get theirs automatically).
    """
    for name in fields:
        field = cls.model_fields[name]
        flag = (flags or {}).get(name, "--" + name.replace("_", "-"))
        text = describe(field)
        kwargs: dict[str, Any] = {"dest": name, "default": None}
        if field.annotation is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["metavar"] = name.upper()
            allowed = (choices or {}).get(name) or _literal_choices(field.annotation)
            if allowed is not None:
                kwargs["choices"] = list(allowed)
                text += f" One of: {', '.join(allowed)}."
        default = "unset" if field.default in (None, "") else field.default
        text += f" [{' or '.join(env_names(cls, name))}; default {default}]"
        parser.add_argument(flag, help=text.replace("%", "%%"), **kwargs)


def settings_from(cls: type[S], args: argparse.Namespace) -> S:
    """Settings from the env vars, overridden by every flag that was given (not None)."""
    given = {k: getattr(args, k) for k in cls.model_fields if getattr(args, k, None) is not None}
    return cls(**given)


def one_line(e: BaseException) -> str:
    """An error as one line; a ValidationError names each bad field and the problem."""
    if isinstance(e, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'settings'}: {err['msg']} "
            f"(got {err.get('input')!r})"
            for err in e.errors()
        )
    return " ".join(str(e).split()) or repr(e)


def run(
    prog: str,
    parser: Callable[[], argparse.ArgumentParser],
    settings_cls: type[S],
    job: Callable[[S, argparse.Namespace], int],
    argv: Sequence[str] | None = None,
    *,
    configure: Callable[[S, argparse.Namespace], None] | None = None,
    log_stream: Literal["stdout", "stderr"] = "stdout",
) -> int:
    """Parse ``argv``, build the settings, configure logging, run ``job``; return the exit code.

    Args:
        prog: the command's name, used in messages. parser: builds its ``ArgumentParser``.
        settings_cls: its settings class. job: the work; returns the exit code.
        argv: the arguments (default ``sys.argv[1:]``).
        configure: sets up logging instead of ``log_config(settings.log_level)`` (the predictor
            hands it to KServe). log_stream: where logs go; stderr when stdout is the result.
    """
    logging.config.dictConfig(log_config("INFO", stream=log_stream))  # until settings say
    try:
        args = parser().parse_args(argv)
        settings = settings_from(settings_cls, args)
        if configure is None:
            logging.config.dictConfig(log_config(settings.log_level, stream=log_stream))
        else:
            configure(settings, args)
        return job(settings, args)
    except (HousingError, ValidationError) as e:
        code = e.exit_code if isinstance(e, HousingError) else 2
        _fail(prog, "error", one_line(e), code, exc=False)
        return code
    except Exception as e:  # the CLI boundary: anything else is a bug, logged with its trace
        _fail(prog, "unexpected error", f"{type(e).__name__}: {one_line(e)}", 1, exc=True)
        return 1


def _fail(prog: str, kind: str, message: str, code: int, exc: bool) -> None:
    extra = {"command": prog, "error": message, "exit_code": code}
    logger.error("command_failed", extra=extra, exc_info=exc)
    print(f"{prog}: {kind}: {message}", file=sys.stderr)
