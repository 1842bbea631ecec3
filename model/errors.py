"""Every error we raise on purpose. Each entry point maps these to exit codes or HTTP statuses."""

from __future__ import annotations


class HousingError(Exception):
    """Base for every error we raise on purpose; a command exits with ``exit_code``."""

    exit_code = 2


class SchemaError(HousingError):
    """Data violates model.schema. ``problems`` lists every violation, one message each."""

    MAX_SHOWN = 20

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[: self.MAX_SHOWN]
        more = len(self.problems) - len(shown)
        text = "; ".join(shown) + (f"; … and {more} more problem(s)" if more else "")
        super().__init__(text)


class DataError(HousingError):
    """The dataset could not be found, downloaded or verified."""


class BundleError(HousingError):
    """A model bundle is missing, tampered with, or incompatible with this code."""


class PublishError(HousingError):
    """Writing a bundle (or any artifact) to a directory, PVC or S3 failed."""


class ConfigError(HousingError):
    """A setting or flag that cannot work (exit 2)."""
