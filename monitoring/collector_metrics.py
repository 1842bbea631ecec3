"""The collector's own series on its ``/metrics``: items it quarantined (dead-lettered), by kind.

Read from the dead-letter file's counts at each scrape, so the series and /healthz's
``dead_letters`` always agree. The alert ``HousingCollectorQuarantine`` reads it.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from monitoring.pending import DeadLetters

DEAD_LETTERS = "housing_collector_dead_letters"  # exposed as ..._total
DEAD_LETTERS_HELP = (
    "Items the collector quarantined to dead-letter.jsonl since start, by reason: "
    "pending_oversize, pending_unreadable, pending_invalid, unserialisable"
)


class DeadLetterMetrics(Collector):
    """``housing_collector_dead_letters_total{reason}``, one series per kind, each from 0."""

    def __init__(self, dead: DeadLetters) -> None:
        self.dead = dead

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(DEAD_LETTERS, DEAD_LETTERS_HELP, labels=["reason"])
        for kind, count in self.dead.by_kind.items():
            family.add_metric([kind], float(count))
        yield family

    def describe(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(DEAD_LETTERS, DEAD_LETTERS_HELP, labels=["reason"])
