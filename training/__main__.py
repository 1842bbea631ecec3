"""``housing-train`` / ``python -m training``: train, evaluate and publish a bundle."""

import argparse
import logging.config
import sys
from pathlib import Path

from model.errors import HousingError
from model.logging import log_config
from training.job import run
from training.settings import TrainSettings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="housing-train", description=__doc__)
    p.add_argument("--data", dest="data_path", type=Path, help="local housing.csv")
    p.add_argument("--publish-uri", help="bundles root: directory or s3://bucket/prefix")
    p.add_argument("--candidate", help="model to train (default: the champion)")
    p.add_argument("--cv-folds", type=int, help="cross-validation folds (0 skips)")
    p.add_argument("--sample-rows", type=int, help="train on a sample (quick runs)")
    p.add_argument("--compare", action="store_true", default=None, help="run the evidence ladder")
    p.add_argument("--no-intervals", dest="intervals", action="store_false", default=None)
    p.add_argument("--force", action="store_true", default=None, help="train even if up to date")
    args = {k: v for k, v in vars(p.parse_args(argv)).items() if v is not None}
    try:
        settings = TrainSettings(**args)
        logging.config.dictConfig(log_config(settings.log_level))
        return run(settings)
    except (HousingError, ValueError) as e:  # bad data, config or bundle: a message, not a trace
        logging.getLogger("training").error("training_failed", extra={"error": str(e)})
        print(f"housing-train: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
