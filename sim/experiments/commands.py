"""CLI: `syriasim compare`, `sweep`, `sensitivity`, `summarize` (see docs/EXPERIMENTS.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim import options
from sim.errors import UserError
from sim.io_safety import check_out_file, safe_name
from sim.options import csv_list, positive_float, positive_int


def _add_exec_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("execution")
    options.add_jobs(g)
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask distributed cluster, e.g. tcp://127.0.0.1:8786",
    )
    g.add_argument(
        "--dry-run",
        action="store_true",
        help="print the design size and an estimated time; run nothing",
    )
    g.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="always show the progress bar",
    )
    g.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never show the progress bar"
    )
    g.add_argument(
        "--retry-failed",
        action="store_true",
        help="when resuming, run again the runs stored as failed (a success supersedes them)",
    )
    g.add_argument(
        "--new-session",
        action="store_true",
        help="the folder holds runs made by other code: move them to superseded/ and rerun "
        "everything under this code (without it such a resume is refused)",
    )


def add_parser(subparsers) -> None:
    # ---------------------------------------------------------------- compare
    p = subparsers.add_parser(
        "compare",
        help="paired counterfactual comparison on the same seeds: structures of a track, of one "
        "dated decision, or scenario files",
        description="Run every variant on the same seeds (common random numbers) and report, per "
        "variant and metric, the mean and 95% CI, the paired difference against a baseline with "
        "its CI, Cohen's d_z and a Holm-adjusted p-value, and the replicates needed for a chosen "
        "precision: compare.md, compare.csv, differences.csv, convergence.csv, fig_timeseries.png, "
        "fig_effects.png, fig_convergence.png. Variants: --track T --structures A,B (the track's "
        "structure for the whole period; 'timeline' = the scenario's own), --decision ID "
        "--structures A,B,timeline (one dated decision only, the rest of the timeline unchanged), "
        "or --scenarios a.toml,b.toml.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario file (or the name of a shipped scenario); omit with --scenarios",
    )
    p.add_argument(
        "--track",
        default=None,
        help="chemical | access | ceasefire: --structures set the track's structure for the "
        "whole period",
    )
    p.add_argument(
        "--decision",
        metavar="ID",
        default=None,
        help="id of one dated decision (e.g. issg_access_task_force): --structures apply to it "
        "alone, every other decision as in the timeline",
    )
    p.add_argument(
        "--structures",
        default=None,
        type=csv_list,
        help="comma-separated, e.g. bilateral,multilateral,unilateral_us,unilateral_russia,none,"
        "timeline",
    )
    p.add_argument(
        "--scenarios",
        default=None,
        type=csv_list,
        metavar="A.toml,B.toml,...",
        help="compare whole scenario files (each a variant) on the same seeds",
    )
    p.add_argument(
        "--baseline",
        default=None,
        help="variant the others are compared with (default: the first listed)",
    )
    p.add_argument(
        "--replicates",
        "-n",
        type=positive_int,
        default=30,
        help="seeded runs per variant (default 30)",
    )
    p.add_argument(
        "--metrics",
        type=csv_list,
        default=None,
        help="metrics to report (default: the track's goal metrics)",
    )
    options.add_seed(p, 0, "master seed (default 0)")
    options.add_set(p)
    p.add_argument(
        "--timeseries",
        choices=("weekly", "monthly", "none"),
        default="monthly",
        help="series stored per run for the band figure (default monthly)",
    )
    options.add_out(
        p, required=True, help="results folder (created; resumed if it holds the same comparison)"
    )
    p.add_argument(
        "--precision",
        type=positive_float,
        default=0.1,
        help="convergence target: CI half-width of a paired difference as a share of the "
        "baseline mean (default 0.1)",
    )
    p.add_argument(
        "--no-figures",
        dest="figures",
        action="store_false",
        help="tables only (figures of an earlier analysis are removed)",
    )
    _add_exec_options(p)
    p.set_defaults(func=cmd_compare)

    # ---------------------------------------------------------------- sweep
    p = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep (grid, lhs, sobol, morris) into a Parquet results folder",
        description="Run (or resume) the sweep a sweep file describes. Each finished chunk of runs "
        "is committed atomically, so a killed sweep restarted with the same command finishes "
        "without duplicate or missing runs.",
    )
    p.add_argument("sweep", help="sweep file (TOML), e.g. sweeps/compliance_sobol.toml")
    options.add_out(p, help="results folder (default: out/<sweep name>)")
    p.add_argument(
        "--chunk-size", type=positive_int, default=None, help="runs per task (default: automatic)"
    )
    _add_exec_options(p)
    p.set_defaults(func=cmd_sweep)

    # ---------------------------------------------------------------- sensitivity
    p = subparsers.add_parser(
        "sensitivity",
        help="Sobol S1/ST or Morris mu*/sigma indices with confidence intervals from a sweep; "
        "response curves and per-cell differences from a grid sweep",
        description="Sobol, Morris and LHS sweeps: writes sensitivity.csv, sensitivity.md and "
        "fig_sensitivity.png (with convergence warnings and a replicates table). Grid sweeps: "
        "grid.md, grid_cells.csv, grid_differences.csv and fig_response.png.",
    )
    p.add_argument("dir", help="results folder of a sweep (sobol, morris, lhs or grid)")
    p.add_argument(
        "--metrics",
        type=csv_list,
        default=None,
        help="metrics to analyse (default: the sweep file's, or all)",
    )
    p.add_argument(
        "--resamples",
        type=positive_int,
        default=1000,
        help="bootstrap resamples for the intervals (default 1000)",
    )
    p.add_argument(
        "--contrast",
        metavar="KEY",
        default=None,
        help="grid sweeps: the parameter whose values are compared in every cell of the others "
        "(default: the first varied)",
    )
    p.add_argument(
        "--precision",
        type=positive_float,
        default=0.05,
        help="replicates table: CI half-width of a point's mean as a share of the metric's mean "
        "size (default 0.05)",
    )
    p.add_argument("--no-figure", dest="figure", action="store_false")
    p.set_defaults(func=cmd_sensitivity)

    # ---------------------------------------------------------------- discover
    p = subparsers.add_parser(
        "discover",
        help="scenario discovery (PRIM or CART): which parameter boxes give a chosen outcome",
        description="Marks each design point whose mean METRIC is above (--below: below) the "
        "threshold as a case of interest and finds boxes of the parameter space holding them. "
        "Writes discover.md, discover_boxes.csv, discover_tradeoff.csv and fig_discover.png.",
    )
    p.add_argument("dir", help="results folder of a sweep (any design) or comparison")
    p.add_argument("--metric", required=True, help="metric defining the cases of interest")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--threshold", type=float, help="threshold on the metric")
    g.add_argument(
        "--quantile",
        type=float,
        help="threshold at this quantile of the design points' means (e.g. 0.8: the top 20%%)",
    )
    p.add_argument("--below", action="store_true", help="cases are points below the threshold")
    p.add_argument("--method", choices=("prim", "cart"), default="prim", help="default prim")
    p.add_argument(
        "--min-coverage",
        type=float,
        default=0.5,
        help="the box reported is the densest with at least this coverage (default 0.5)",
    )
    p.add_argument(
        "--mass-min",
        type=float,
        default=0.05,
        help="smallest share of the points a box may hold (default 0.05)",
    )
    p.add_argument("--no-figure", dest="figure", action="store_false")
    p.set_defaults(func=cmd_discover)

    # ---------------------------------------------------------------- summarize
    p = subparsers.add_parser(
        "summarize",
        help="tidy summary of a results folder: design, provenance, metrics, failures",
    )
    p.add_argument("dir", help="results folder of a sweep or comparison")
    p.add_argument("--csv", metavar="PATH", default=None, help="also write one row per run as CSV")
    p.add_argument(
        "--failures", type=positive_int, default=10, help="failed runs to list (default 10)"
    )
    p.set_defaults(func=cmd_summarize)

    # ---------------------------------------------------------------- verify
    p = subparsers.add_parser(
        "verify",
        help="check a results folder's health: every part readable and complete, no duplicates",
        description="Read every part of a sweep or comparison folder and report damaged parts, "
        "duplicate runs, orphan series and missing runs. Exit status 0: healthy; 1: problems "
        "found (rerunning the command that wrote the folder repairs them: damaged parts are "
        "moved to OUT/quarantine/ and their runs run again).",
    )
    p.add_argument("dir", help="results folder of a sweep or comparison")
    p.set_defaults(func=cmd_verify)


def _echo(msg: str) -> None:
    try:
        print(msg, flush=True)
    except BrokenPipeError:  # e.g. `syriasim summarize DIR | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def cmd_compare(args) -> int:
    from sim.experiments.compare import compare

    res = compare(
        args.scenario,
        args.track,
        args.structures,
        scenarios=args.scenarios,
        decision=args.decision,
        precision=args.precision,
        new_session=args.new_session,
        replicates=args.replicates,
        out=args.out,
        baseline=args.baseline,
        metrics=args.metrics,
        seed=args.seed,
        overrides=args.sets,
        timeseries=args.timeseries,
        jobs=args.jobs,
        scheduler=args.scheduler,
        progress=args.progress,
        dry_run=args.dry_run,
        figures=args.figures,
        retry_failed=args.retry_failed,
        echo=_echo,
    )
    if hasattr(res, "exit_code"):  # dry run or interrupted
        return res.exit_code
    _echo("")
    _echo(res.markdown())
    return 0


def cmd_sweep(args) -> int:
    from sim.experiments.experiment import run_experiment
    from sim.experiments.sweep import plan_sweep

    exp = plan_sweep(args.sweep)
    out = args.out or str(Path("out") / safe_name(exp.name, "sweep"))
    outcome = run_experiment(
        exp,
        out,
        jobs=args.jobs,
        scheduler=args.scheduler,
        chunk_size=args.chunk_size,
        progress=args.progress,
        dry_run=args.dry_run,
        retry_failed=args.retry_failed,
        new_session=args.new_session,
        echo=_echo,
    )
    if not args.dry_run and outcome.report is not None and not outcome.report.interrupted:
        _echo(
            f"next: syriasim summarize {out}"
            + (
                f"  |  syriasim sensitivity {out}"
                if exp.design.method in ("sobol", "morris", "lhs")
                else ""
            )
        )
    return outcome.exit_code


def cmd_sensitivity(args) -> int:
    from sim.experiments.sensitivity import sensitivity

    _need_dir(args.dir)
    method, table, md, fig = sensitivity(
        args.dir,
        args.metrics,
        num_resamples=args.resamples,
        figure=args.figure,
        precision=args.precision,
        contrast=args.contrast,
    )
    _echo(md)
    files = (
        ("grid.md", "grid_cells.csv", "grid_differences.csv")
        if method == "grid"
        else ("sensitivity.md", "sensitivity.csv")
    )
    print(
        "written: "
        + ", ".join(str(Path(args.dir) / f) for f in files)
        + (f", {fig}" if fig else "")
    )
    return 0


def cmd_discover(args) -> int:
    from sim.experiments.discover import discover

    _need_dir(args.dir)
    res = discover(
        args.dir,
        args.metric,
        args.threshold,
        quantile=args.quantile,
        below=args.below,
        method=args.method,
        min_coverage=args.min_coverage,
        mass_min=args.mass_min,
        figure=args.figure,
    )
    _echo(res.markdown())
    return 0


def cmd_summarize(args) -> int:
    from sim.experiments.summarize import render, summarize

    _need_dir(args.dir)
    if args.csv:
        check_out_file(args.csv, "--csv")
    info = summarize(args.dir, max_failures=args.failures)
    _echo(render(info, args.dir))
    if args.csv:
        path = Path(args.csv)
        if path.exists() and path.is_dir():
            raise UserError("is a folder; give a file name", file=str(path), key="--csv")
        info["runs"].to_csv(path, index=False)
        print(f"written: {path} ({len(info['runs']):,} rows)")
    return 0


def cmd_verify(args) -> int:
    from sim.experiments.store import ResultsStore

    _need_dir(args.dir)
    report = ResultsStore(args.dir).verify()
    problems = [f"damaged: {p.name}: {why}" for p, why in report["damaged"]]
    if report["duplicate_ok_runs"]:
        problems.append(f"{report['duplicate_ok_runs']} run(s) stored twice")
    if report["out_of_range_runs"]:
        problems.append(f"{report['out_of_range_runs']} run id(s) outside the design")
    problems += [f"orphan series part: {p.name}" for p in report["orphan_series"]]
    problems += [f"leftover temporary file: {p.name}" for p in report["temp_files"]]
    for line in problems:
        _echo(f"PROBLEM {line}")
    state = "complete" if report["stored"] == report["expected"] else "incomplete"
    _echo(
        f"{args.dir}: {report['stored']:,} of {report['expected']:,} runs stored ({state}); "
        + (f"{len(problems)} problem(s): rerun its command to repair" if problems else "healthy")
    )
    return 1 if problems else 0


def _need_dir(d: str) -> None:
    if not Path(d).is_dir():
        raise UserError("no such results folder", file=d)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(1)
