"""Structured logging: one JSON object per line on stdout, the same config for every entry point."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# uvicorn adds the same message with ANSI colour codes for its own console formatter.
_DROPPED = {"color_message"}
_SECRET_WORDS = ("secret", "password", "token", "access_key")


class JsonFormatter(logging.Formatter):
    """Builds a dict per record and serialises it with ``json.dumps``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _DROPPED and not key.startswith("_"):
                entry[key] = "***" if any(w in key.lower() for w in _SECRET_WORDS) else value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def log_config(level: str = "INFO", stream: str = "stdout") -> dict[str, Any]:
    """The one ``logging.config.dictConfig`` of the project, uvicorn and kserve loggers included.

    Args:
        level: the log level. stream: ``stdout``, or ``stderr`` for a command whose stdout is
            its result (``housing-rollout``).
    """
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": f"ext://sys.{stream}",
    }
    quiet = {"handlers": ["stdout"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": handler},
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            name: quiet
            for name in ("kserve", "kserve.trace", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
