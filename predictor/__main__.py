"""``housing-predictor`` / ``python -m predictor``: serve a verified bundle over KServe V2."""

import argparse
import sys
from collections.abc import Sequence

from model import cli
from predictor.settings import PredictorSettings


def _parser() -> argparse.ArgumentParser:
    from kserve.model_server import parser as kserve_parser  # KServe parses argv on import

    from predictor.settings import build_parser

    return build_parser(kserve_parser)


def _configure(settings: PredictorSettings, args: argparse.Namespace) -> None:
    from predictor.server import configure_logging

    configure_logging(settings.log_level, args)


def _serve(settings: PredictorSettings, args: argparse.Namespace) -> int:
    from predictor.server import run

    return run(settings, args)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags (KServe's and ours), build settings, configure logging, serve; exit code."""
    return cli.run(
        "housing-predictor", _parser, PredictorSettings, _serve, argv, configure=_configure
    )


if __name__ == "__main__":
    sys.exit(main())
