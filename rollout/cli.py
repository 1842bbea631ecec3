"""Argument parsing and dispatch of ``housing-rollout``; every error becomes one line and a code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from model import cli
from rollout.gate import GateConfig
from rollout.settings import RolloutSettings


def _cluster_flags() -> cli.ArgumentParser:
    p = cli.ArgumentParser(add_help=False)
    p.add_argument("--release", help="Helm release (HOUSING_RELEASE, default housing)")
    p.add_argument("--namespace", "-n", help="namespace (default: the kubeconfig context's)")
    p.add_argument("--context", dest="kube_context", help="kubeconfig context")
    p.add_argument("--isvc", help="InferenceService name (default: the chart's fullname)")
    return p


def _action_flags() -> cli.ArgumentParser:
    p = cli.ArgumentParser(add_help=False, parents=[_cluster_flags()])
    p.add_argument("--chart", type=Path, help="chart dir (default charts/housing)")
    p.add_argument("--helm", help="helm binary (default helm on PATH)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the helm commands, offline: reads neither the release nor the cluster",
    )
    p.add_argument(
        "--values",
        dest="values_file",
        type=Path,
        help="with --dry-run: the release's values (helm get values --all -o yaml > FILE); "
        "default: the chart's values.yaml",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (default 600)")
    p.add_argument(
        "--allow-chart-change",
        action="store_true",
        help="apply even if the chart version differs from the deployed one",
    )
    return p


def _compare(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="evidence + promotion gate (exit 0 promote, 10 keep canary, 11 roll back, 2 error)",
    )
    p.add_argument("--champion", required=True, help="bundle dir, model version, pvc:// or s3://")
    p.add_argument("--challenger", required=True, help="bundle dir, model version, pvc:// or s3://")
    p.add_argument(
        "--data",
        dest="labelled",
        type=Path,
        help="CSV of newly labelled rows (default: the hold-out set)",
    )
    p.add_argument("--dataset", dest="data_path", type=Path, help="housing.csv (HOUSING_DATA_PATH)")
    p.add_argument("--bundles", dest="bundles_uri", help="bundles root (HOUSING_BUNDLES_URI)")
    p.add_argument(
        "--events", dest="events_uri", help="event store: dir or s3:// (HOUSING_EVENTS_URI)"
    )
    p.add_argument(
        "--labels", dest="labels_dir", help="label store, directory or s3:// (HOUSING_LABELS_DIR)"
    )
    p.add_argument("--since", default="24h", help="events window start: 24h, 7d or ISO time")
    p.add_argument("--until", help="events window end (default now)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=42, help="bootstrap seed")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--reports-dir", type=Path, help="report root (HOUSING_REPORTS_DIR)")
    p.add_argument("--no-report", action="store_true", help="do not write report.md/.json/.png")
    defaults = GateConfig()
    for name, value in vars(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            p.add_argument(
                flag,
                action="store_const",
                const=True,
                dest=f"gate_{name}",
                help="gate rule (default off; see docs/rollout.md)",
            )
        else:
            kind = int if isinstance(value, int) else float
            p.add_argument(
                flag,
                type=kind,
                dest=f"gate_{name}",
                metavar="X",
                help=f"gate rule (default {value}; see docs/rollout.md)",
            )


def parser() -> argparse.ArgumentParser:
    """The ``housing-rollout`` argument parser."""
    p = cli.ArgumentParser(prog="housing-rollout", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    _compare(sub)
    st = sub.add_parser("status", parents=[_cluster_flags()], help="traffic, revisions, bundles")
    st.add_argument("--json", action="store_true", help="print JSON instead of the table")
    c = sub.add_parser("canary", parents=[_action_flags()], help="send N%% to the challenger")
    c.add_argument("percent", type=int, help="share of requests for the challenger, 0-100")
    c.add_argument("--bundle-uri", help="challenger bundle (starts or replaces the canary)")
    sub.add_parser("promote", parents=[_action_flags()], help="make the challenger the champion")
    sub.add_parser("rollback", parents=[_action_flags()], help="0%% to the challenger")
    return p


def gate_config(args: argparse.Namespace) -> GateConfig:
    """The gate thresholds: the defaults, overridden by each gate flag given."""
    # Only the flags given: 0 is a value like any other (``v not in (None, False)`` dropped it).
    given = {k[5:]: v for k, v in vars(args).items() if k.startswith("gate_") and v is not None}
    return GateConfig(**given)


def dispatch(args: argparse.Namespace, settings: RolloutSettings, out: TextIO) -> int:
    """Run the chosen command; returns its exit code."""
    if args.command == "compare":
        from rollout import compare

        return compare.run(
            settings,
            champion=args.champion,
            challenger=args.challenger,
            labelled=args.labelled,
            since=args.since,
            until=args.until,
            n_boot=args.bootstrap,
            seed=args.seed,
            gate=gate_config(args),
            as_json=args.json,
            write_report=not args.no_report,
            out=out,
        )
    if args.command == "status":
        from rollout import status_cmd

        return status_cmd.run(settings, isvc=args.isvc, as_json=args.json, out=out)
    from rollout import actions

    return actions.run(
        settings,
        args.command,
        percent=getattr(args, "percent", None),
        bundle_uri=getattr(args, "bundle_uri", None),
        isvc=args.isvc,
        dry_run=args.dry_run,
        timeout_s=args.timeout,
        allow_chart_change=args.allow_chart_change,
        out=out,
        values_file=args.values_file,
    )


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Parse, configure logging (stderr: stdout carries the result), run; the exit code."""
    return cli.run(
        "housing-rollout",
        parser,
        RolloutSettings,
        lambda settings, args: dispatch(args, settings, out or sys.stdout),
        argv,
        log_stream="stderr",
    )
