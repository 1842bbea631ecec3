"""The comparison as a terminal table, as JSON, and as a markdown report with two plots."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.bundle import Bundle
from model.schema import TARGET
from rollout.evidence import Offline
from rollout.gate import Decision, GateConfig
from rollout.online import Online


@dataclass
class Comparison:
    """Everything ``compare`` found, ready to render."""

    champion: Bundle
    challenger: Bundle
    offline: Offline
    online: Online | None
    decision: Decision
    config: GateConfig
    n_boot: int
    seed: int


def _who(b: Bundle) -> dict[str, str]:
    return {"model_version": b.version, "candidate": b.manifest.candidate, "path": str(b.path)}


def as_json(c: Comparison) -> dict[str, Any]:
    """A JSON-serialisable view (what ``--json`` prints and ``report.json`` holds)."""
    o = c.offline
    return {
        "decision": c.decision.outcome.value,
        "exit_code": c.decision.outcome.exit_code,
        "checks": [ch.as_dict() for ch in c.decision.checks],
        "champion": _who(c.champion),
        "challenger": _who(c.challenger),
        "data": {"source": o.source, "rows": o.overall.n},
        "bootstrap": {"resamples": c.n_boot, "seed": c.seed, "confidence": 0.95},
        "metrics": {
            "champion": {k: v.as_dict() for k, v in o.overall.champion.items()},
            "challenger": {k: v.as_dict() for k, v in o.overall.challenger.items()},
            "rmse_diff": o.overall.rmse_diff.as_dict(),
            "rmse_diff_relative": o.overall.rmse_diff_relative,
        },
        "segments": [
            {
                "segment": s.name,
                "rows": s.n,
                "champion_rmse": s.champion_rmse,
                "challenger_rmse": s.challenger_rmse,
                "relative": s.relative,
                "rmse_diff": s.rmse_diff.as_dict() if s.rmse_diff else None,
            }
            for s in o.segments
        ],
        "quality": {
            "champion": asdict(o.champion_quality),
            "challenger": asdict(o.challenger_quality),
        },
        "online": None
        if c.online is None
        else {
            "events": c.online.root,
            "start": c.online.start.isoformat(),
            "end": c.online.end.isoformat(),
            "champion": c.online.champion.summary(),
            "challenger": c.online.challenger.summary(),
            "ks": c.online.ks,
            "psi": c.online.psi,
            "other_versions": c.online.other_versions,
            "malformed_lines": c.online.malformed_lines,
        },
        "gate": asdict(c.config),
    }


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    return [out[0], "  ".join("-" * w for w in widths), *out[1:]]


def _ci(v: Any, fmt: str) -> str:
    return f"{v.value:{fmt}} [{v.low:{fmt}}, {v.high:{fmt}}]"


def table(c: Comparison) -> str:
    """The human-readable report: metrics, segments, online view, then the decision and reasons."""
    o = c.offline
    lines = [
        f"champion   {c.champion.version} ({c.champion.manifest.candidate})",
        f"challenger {c.challenger.version} ({c.challenger.manifest.candidate})",
        f"data       {o.source}; bootstrap {c.n_boot} resamples, seed {c.seed}, 95% CI",
        "",
    ]
    rows = [["metric", "champion", "challenger"]]
    for m, fmt in (("rmse", ",.0f"), ("mae", ",.0f"), ("r2", ".4f")):
        rows.append(
            [
                m.upper() if m != "r2" else "R²",
                _ci(o.overall.champion[m], fmt),
                _ci(o.overall.challenger[m], fmt),
            ]
        )
    lines += _grid(rows)
    lines += [
        f"paired RMSE difference (challenger - champion): {_ci(o.overall.rmse_diff, ',.0f')}"
        f" ({o.overall.rmse_diff_relative:+.1%})",
        "",
    ]
    seg = [["segment", "rows", "champion RMSE", "challenger RMSE", "change", "diff 95% CI"]]
    for s in o.segments:
        ci = (
            f"[{s.rmse_diff.low:,.0f}, {s.rmse_diff.high:,.0f}]"
            if s.rmse_diff
            else "(too few rows)"
        )
        seg.append(
            [
                s.name,
                str(s.n),
                f"{s.champion_rmse:,.0f}",
                f"{s.challenger_rmse:,.0f}",
                f"{s.relative:+.1%}",
                ci,
            ]
        )
    lines += _grid(seg)
    lines += [
        "",
        "data quality (non-finite / implausible predictions): champion "
        f"{o.champion_quality.non_finite} / {o.champion_quality.implausible}, challenger "
        f"{o.challenger_quality.non_finite} / {o.challenger_quality.implausible}; V2 "
        f"contract: {'; '.join(o.challenger_quality.contract) or 'kept'}",
    ]
    if c.online is not None:
        lines += [
            "",
            f"online events {c.online.root} [{c.online.start:%Y-%m-%d %H:%M}, "
            f"{c.online.end:%Y-%m-%d %H:%M}) UTC",
        ]
        on = [["version", "requests", "errors", "error rate", "p50 ms", "p95 ms"]]
        for v in (c.online.champion, c.online.challenger):
            p50, p95 = v.latency(0.5), v.latency(0.95)
            on.append(
                [
                    v.model_version,
                    str(v.requests),
                    str(v.errors),
                    f"{v.error_rate:.2%}",
                    "-" if p50 is None else f"{p50:.1f}",
                    "-" if p95 is None else f"{p95:.1f}",
                ]
            )
        lines += _grid(on)
        if c.online.psi is not None:
            lines.append(f"prediction shift: KS {c.online.ks:.3f}, PSI {c.online.psi:.3f}")
    lines += [
        "",
        f"decision: {c.decision.outcome.value.upper()} (exit {c.decision.outcome.exit_code})",
    ]
    mark = {"pass": "ok  ", "fail": "FAIL", "skip": "skip"}
    lines += [
        f"  {mark[ch.status]} {ch.rule}"
        + (f" -> {ch.on_fail.value}" if ch.status == "fail" else "")
        + f": {ch.reason}"
        for ch in c.decision.checks
    ]
    return "\n".join(lines)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def plots(c: Comparison) -> dict[str, bytes]:
    """``residuals.png`` (residual vs prediction, both models) and ``segments.png`` (RMSE bars)."""
    import matplotlib

    matplotlib.use("Agg")  # headless: CI, CronJob pods
    import matplotlib.pyplot as plt

    o = c.offline
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for pred, label, colour in (
        (o.champion_pred, "champion", "tab:blue"),
        (o.challenger_pred, "challenger", "tab:orange"),
    ):
        ax.scatter(
            pred,
            o.y - pred,
            s=4,
            alpha=0.35,
            color=colour,
            label=f"{label} (RMSE {np.sqrt(np.nanmean((o.y - pred) ** 2)):,.0f})",
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set(
        xlabel=f"predicted {TARGET}",
        ylabel="actual - predicted",
        title="Residuals on the same rows",
    )
    ax.legend(markerscale=4)
    files = {"residuals.png": _png(fig)}
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    names = [s.name for s in o.segments]
    pos = np.arange(len(names))
    ax.barh(pos - 0.2, [s.champion_rmse for s in o.segments], 0.4, label="champion")
    ax.barh(pos + 0.2, [s.challenger_rmse for s in o.segments], 0.4, label="challenger")
    ax.set_yticks(pos, [f"{n} ({s.n})" for n, s in zip(names, o.segments, strict=True)])
    ax.invert_yaxis()
    ax.set(xlabel="RMSE (USD)", title="RMSE per segment (rows)")
    ax.legend()
    files["segments.png"] = _png(fig)
    plt.close(fig)
    return files


def write(c: Comparison, directory: Path) -> Path:
    """Write ``report.md``, ``report.json`` and the plots into ``directory``; returns report.md."""
    import json

    directory.mkdir(parents=True, exist_ok=True)
    for name, data in plots(c).items():
        (directory / name).write_bytes(data)
    (directory / "report.json").write_text(json.dumps(as_json(c), indent=2, default=str) + "\n")
    md = [
        f"# Champion vs challenger: {c.decision.outcome.value}",
        "",
        "```text",
        table(c),
        "```",
        "",
        "![Residuals of both models](residuals.png)",
        "",
        "![RMSE per segment](segments.png)",
        "",
    ]
    report = directory / "report.md"
    report.write_text("\n".join(md))
    return report
