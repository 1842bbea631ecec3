"""Metric names: the ones our code and KServe's export, and the ones a PromQL expression reads."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry

KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def exported() -> set[str]:
    """Every series name /metrics can show: the predictor's, KServe's, the jobs' verdicts, the
    collector's own."""
    from pathlib import Path

    from kserve import metrics as kserve_metrics

    from monitoring.collector_metrics import DeadLetterMetrics
    from monitoring.pending import DeadLetters
    from monitoring.verdicts import ALL_GAUGES
    from predictor.metrics import Metrics

    registry = CollectorRegistry(auto_describe=True)
    Metrics(registry)
    families = [f for c in registry._collector_to_names for f in c.describe()]
    families += DeadLetterMetrics(DeadLetters(Path("unused"))).describe()
    for hist in (
        kserve_metrics.PRE_HIST_TIME,
        kserve_metrics.PREDICT_HIST_TIME,
        kserve_metrics.POST_HIST_TIME,
    ):
        families += hist.describe()
    names = {f.name + s for f in families for s in _SUFFIXES[f.type]}
    return names | set(ALL_GAUGES)


def used(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (labels, functions and keywords removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    tokens = re.findall(r"(?<![\w$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr)
    return {t for t in tokens if t.lower() not in KEYWORDS}
