"""``housing-train`` / ``python -m training``: train, evaluate and publish a bundle."""

import argparse
import sys
from collections.abc import Sequence

from model import cli
from training.settings import TrainSettings

_FLAGS = (
    "data_path",
    "publish_uri",
    "candidate",
    "cv_folds",
    "sample_rows",
    "compare",
    "intervals",
    "force",
)


def _parser() -> argparse.ArgumentParser:
    from training.candidates import ladder

    p = cli.ArgumentParser(prog="housing-train", description=__doc__)
    cli.add_settings_flags(
        p, TrainSettings, _FLAGS, flags={"data_path": "--data"}, choices={"candidate": [*ladder()]}
    )
    return p


def _job(settings: TrainSettings, _: argparse.Namespace) -> int:
    from training.job import run

    return run(settings)


def main(argv: Sequence[str] | None = None) -> int:
    return cli.run("housing-train", _parser, TrainSettings, _job, argv)


if __name__ == "__main__":
    sys.exit(main())
