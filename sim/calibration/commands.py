"""CLI commands: `syriasim calibrate`, `syriasim report-history`, `syriasim effectiveness`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim import options
from sim.errors import UserError
from sim.io_safety import cap_jobs, check_out_path, check_seed

DEFAULT_SCENARIO = "historical"


def _common(p: argparse.ArgumentParser, *, seeds: int, out: str) -> None:
    p.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help="scenario file or shipped name (default: historical)",
    )
    options.add_set(p, "fixed override of the scenario, e.g. rules.compliance.name=threshold")
    options.add_seeds(p, seeds, "replicate seeds per structure")
    p.add_argument("--first-seed", type=int, default=0, help="first replicate seed (default 0)")
    options.add_jobs(p)
    options.add_out(p, out, help=f"output folder (default {out})")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="fit free parameters to the historical targets (optuna TPE, resumable)",
        description=(
            "Fit free parameters to the calibration targets over replicate seeds with optuna's "
            "seeded TPE sampler. The study is stored in OUT/study.db: rerunning the same command "
            "resumes it. Writes OUT/calibrated.toml (a scenario extending the calibrated one), "
            "OUT/loss_per_target.csv and OUT/trials.csv."
        ),
    )
    _common(p, seeds=8, out="out/calibrate")
    p.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH[:log][:int]",
        help="free parameter and bounds, e.g. rules.compliance.params.pressure_weight=0.5:4 (repeatable)",
    )
    p.add_argument(
        "--params-file", help='TOML file with [param."KEY"] low/high tables (and optional [set])'
    )
    p.add_argument("--targets", help="targets file (default: the shipped sim/data/targets.toml)")
    p.add_argument("--groups", help="comma-separated target groups to fit (default: all)")
    p.add_argument(
        "--until",
        metavar="DATE",
        help="fit on the record up to this date only (YYYY-MM-DD): targets whose periods end later are left out and the record's rows up to it (monthly deaths, people besieged, areas per side at each control snapshot) are added as targets",
    )
    p.add_argument("--trials", type=int, default=30, help="total trials in the study (default 30)")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="stop starting new trials after this many seconds",
    )
    p.add_argument("--seed", type=int, default=0, help="sampler seed (default 0)")
    p.add_argument(
        "--fresh", action="store_true", help="discard an existing study in OUT and start over"
    )
    p.add_argument(
        "--validate-seeds",
        type=int,
        default=0,
        metavar="N",
        help="re-score the best parameters on N fresh seeds (OUT/validation.csv)",
    )
    p.add_argument(
        "--margin",
        type=float,
        default=0.0,
        metavar="Z",
        help="score each target at the worse of mean -/+ Z standard errors over the seeds, so the "
        "fit clears its bounds and holds on fresh seeds (default 0: the mean)",
    )
    p.add_argument(
        "--method",
        choices=("optuna", "abc"),
        default="optuna",
        help="optuna (a point: the best trial) or abc (a posterior: ABC-SMC with pyabc, priors "
        "uniform over the --param bounds; writes posterior.parquet, diagnostics.csv, posterior.png)",
    )
    p.add_argument("--population", type=int, default=20, help="ABC particles per generation")
    p.add_argument("--generations", type=int, default=3, help="ABC populations in total")
    p.set_defaults(func=cmd_calibrate)

    p = subparsers.add_parser(
        "report-history",
        help="the historical scenario against the record: target table and figures",
        description=(
            "Run the scenario over N seeds and write targets.csv / targets.md (target, observed, "
            "model mean, model 5-95% range, pass/fail) and history_*.png figures (model median and "
            "5-95% band over the observed points)."
        ),
    )
    _common(p, seeds=30, out="out/report-history")
    p.add_argument("--targets", help="targets file (default: the shipped sim/data/targets.toml)")
    p.add_argument("--groups", help="comma-separated target groups (default: all)")
    p.add_argument("--no-figures", action="store_true", help="write the tables only")
    p.add_argument(
        "--until",
        metavar="DATE",
        default="2015-12-31",
        help="end of the fitted period (default 2015-12-31): record.csv/record.md score every "
        "record series and control snapshot before it (in sample) and after it (out of sample) "
        "against a naive baseline",
    )
    p.add_argument(
        "--effectiveness", action="store_true", help="also write the thesis comparison table"
    )
    p.add_argument("--check", action="store_true", help="exit with status 1 if any target fails")
    p.set_defaults(func=cmd_report_history)

    p = subparsers.add_parser(
        "effectiveness",
        help="goal and counterfactual effectiveness per case study (the thesis's Figure 4)",
        description=(
            "Grade each case study's goal attainment (strong/moderate/weak) and give each of the "
            "thesis's claims a verdict (supported / not supported / undecided, by a strict rule) "
            "over parameter draws x seeds with paired runs of each structure; writes "
            "effectiveness.csv, claims.csv and effectiveness.md."
        ),
    )
    _common(p, seeds=20, out="out/effectiveness")
    p.add_argument(
        "--draws",
        type=int,
        default=0,
        help="parameter draws (0: the shipped defaults only; N: N Latin-hypercube draws of the "
        "assumed parameters over their plausible ranges, or N rows of --posterior)",
    )
    p.add_argument("--draw-seed", type=int, default=0, help="seed of the draws (default 0)")
    p.add_argument(
        "--posterior",
        help="posterior samples (CSV or Parquet, one column per dotted parameter key) to draw from",
    )
    p.set_defaults(func=cmd_effectiveness)

    p = subparsers.add_parser(
        "robustness",
        help="global sensitivity of each claim's counterfactual difference over the assumed parameters",
        description=(
            "Vary every assumed mechanism parameter over its plausible range (Morris or Sobol "
            "design, SALib), run each claim's structures on common seeds at every point, and report "
            "per claim the share of the plausible space in which it holds, each parameter's "
            "influence and the parameters that can flip it; writes robustness.md, claims.csv, "
            "indices.csv, points.csv and one figure per claim."
        ),
    )
    _common(p, seeds=2, out="out/robustness")
    p.add_argument("--method", default="morris", help="morris (default) or sobol")
    p.add_argument(
        "--samples",
        type=int,
        default=4,
        help="Morris trajectories or Sobol base samples (a power of 2); default 4",
    )
    p.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="KEY",
        help="vary only these assumed parameters (repeatable; default: every assumed mechanism "
        "parameter of the groups diplomacy, trust, ceasefire, chemical, access, dependence, rules)",
    )
    p.add_argument("--design-seed", type=int, default=0, help="seed of the design (default 0)")
    p.set_defaults(func=cmd_robustness)


# --------------------------------------------------------------------------------------------


def _jobs(args) -> int:
    if getattr(args, "_capped_jobs", None) is None:  # the note is printed once
        args._capped_jobs = cap_jobs(options.jobs(args), command=f"syriasim {args.command}")
    return args._capped_jobs


def _seeds(args) -> list[int]:
    check_seed(args.first_seed, "--first-seed")
    check_seed(args.first_seed + args.seeds - 1, "--first-seed + --seeds")
    return list(range(args.first_seed, args.first_seed + args.seeds))


def _check_common(args) -> None:
    """The options every command here takes, checked before any file is read or written."""
    check_out_path(args.out)
    _seeds(args)
    _jobs(args)


def _scenario(args, extra_fixed: dict | None = None):
    """The scenario with --set overrides applied; returns (scenario, fixed overrides)."""
    from sim.calibration.calibrate import parse_set
    from sim.calibration.runs import apply_overrides
    from sim.scenario import load_scenario

    fixed = dict(extra_fixed or {})
    for item in args.sets:
        key, value = parse_set(item)
        fixed[key] = value
    scenario = load_scenario(args.scenario)
    return apply_overrides(scenario, fixed, "--set"), fixed


def _groups(args):
    return (
        [g.strip() for g in args.groups.split(",") if g.strip()]
        if getattr(args, "groups", None)
        else None
    )


def cmd_calibrate(args) -> int:
    from sim.calibration.calibrate import calibrate, load_param_file, parse_param
    from sim.calibration.targets import load_targets

    _check_common(args)
    check_seed(args.seed, "--seed")
    params, file_fixed = [], {}
    if args.params_file:
        params, file_fixed = load_param_file(args.params_file)
    params += [parse_param(text) for text in args.params]
    scenario, fixed = _scenario(args, file_fixed)
    targets = load_targets(args.targets, groups=_groups(args))
    if args.until:
        from sim.calibration.record_scores import record_targets, targets_until
        from sim.record import load

        until = _until(args.until)
        kept = targets_until(targets, until)
        extra = record_targets(load(), until)
        print(
            f"fitting on the record up to {until}: {len(kept)} of {len(targets)} targets end by "
            f"then, plus {len(extra)} targets from the record's rows",
            flush=True,
        )
        targets = kept + extra
    if args.trials < 1:
        raise UserError(f"--trials must be >= 1, got {args.trials}")
    seeds = _seeds(args)
    if args.method == "abc":
        return _calibrate_abc(args, scenario, params, targets, seeds)
    print(
        f"calibrating {len(params)} parameter(s) of {scenario.name!r} against {len(targets)} targets, "
        f"{len(seeds)} seeds, {args.trials} trials, {_jobs(args)} processes -> {args.out}",
        flush=True,
    )
    result = calibrate(
        scenario,
        params,
        targets,
        out_dir=args.out,
        trials=args.trials,
        seeds=seeds,
        sampler_seed=args.seed,
        jobs=_jobs(args),
        fixed=fixed,
        base_path=scenario.path,
        timeout=args.timeout,
        fresh=args.fresh,
        validate_seeds=max(0, args.validate_seeds),
        margin=args.margin,
        log=lambda line: print(line, flush=True),
    )
    t = result.table
    print(
        f"best loss {result.best_loss:.4g}: {int(t['pass'].sum())}/{len(t)} targets pass; "
        f"{result.n_new} new trials ({result.n_trials} in the study) in {result.seconds:.0f}s"
    )
    for key, value in result.best_values.items():
        print(f"  {key} = {value:.6g}")
    print(f"wrote {result.scenario_file}, {Path(args.out) / 'loss_per_target.csv'}")
    return 0


def cmd_report_history(args) -> int:
    from sim.calibration.report import report_history
    from sim.calibration.targets import load_targets

    _check_common(args)
    until = _until(args.until)
    scenario, _ = _scenario(args)
    targets = load_targets(args.targets, groups=_groups(args))
    seeds = _seeds(args)
    start = time.perf_counter()
    history, files = report_history(
        scenario,
        targets,
        seeds,
        args.out,
        jobs=_jobs(args),
        targets_path=args.targets,
        figures=not args.no_figures,
    )
    table = history.table
    for _, r in table.iterrows():
        print(
            f"{'PASS' if r['pass'] else 'FAIL'}  {r['id']:<45} mean {r['model_mean']:.4g} "
            f"[{r['model_p05']:.4g}, {r['model_p95']:.4g}]  rule {r['rule']}"
        )
    print(
        f"{int(table['pass'].sum())}/{len(table)} targets pass over {len(seeds)} seeds ({time.perf_counter() - start:.0f}s)"
    )
    _write_record(scenario, seeds, _jobs(args), Path(args.out), until, files)
    if args.effectiveness:
        _write_effectiveness(scenario, seeds, _jobs(args), Path(args.out))
    print("wrote " + ", ".join(str(p) for p in files.values()))
    return 1 if args.check and not history.all_pass else 0


def _until(text: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UserError(f"--until must be a date YYYY-MM-DD, got {text!r}") from None


def _write_record(scenario, seeds, jobs, out: Path, until: str, files: dict) -> None:
    """The model against the sourced record, in and out of sample (record.csv, record.md)."""
    from sim.calibration.record_scores import record_report
    from sim.record import load

    table, text = record_report(load(), scenario, seeds, until, jobs=jobs)
    out.mkdir(parents=True, exist_ok=True)
    files["record_csv"] = out / "record.csv"
    files["record_md"] = out / "record.md"
    table.to_csv(files["record_csv"], index=False)
    files["record_md"].write_text(text, encoding="utf-8")
    for _, r in table[table["n"] > 0].iterrows():
        print(
            f"{'BEATS' if r['beats_baseline'] else 'MISS '} {r['series']:<30} {r['run']:<8} "
            f"{r['sample']:<3} model {r['model']:.3f} baseline {r['baseline']:.3f} "
            f"skill {r['skill']:.3f}"
        )


def _draws(args) -> tuple[list[dict], str]:
    """Parameter draws for the claims: none (the defaults), posterior rows, or plausible ranges."""
    from sim.docs import parameter_rows
    from sim.register import draw_assumed

    n = getattr(args, "draws", 0)
    if n < 0:
        raise UserError(f"--draws must be >= 0, got {n}")
    posterior = getattr(args, "posterior", None)
    if posterior:
        frame = _read_samples(posterior)
        rows = frame.sample(n=min(n, len(frame)), random_state=args.draw_seed) if n else frame
        return rows.to_dict("records"), f"{len(rows)} rows of {posterior}"
    if n == 0:
        return [{}], "the shipped defaults"
    return (
        draw_assumed(n, args.draw_seed, parameter_rows()),
        f"Latin-hypercube draws of the assumed parameters' plausible ranges, seed {args.draw_seed}",
    )


def _read_samples(path: str):
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise UserError("file not found", file=path, key="--posterior")
    try:
        frame = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    except Exception as exc:  # any unreadable table is a user error, named once
        raise UserError(
            f"cannot read samples ({type(exc).__name__}); allowed: CSV or Parquet",
            file=path,
            key="--posterior",
        ) from None
    keep = [c for c in frame.columns if c.startswith(("params.", "rules."))]
    if frame.empty or not keep:
        raise UserError(
            "no samples: needs rows and columns named by dotted parameter keys (params.*, rules.*)",
            file=path,
            key="--posterior",
        )
    return frame[keep]


def _write_effectiveness(scenario, seeds, jobs, out: Path, draws=None, draws_from=None):
    from sim.calibration.effectiveness import effectiveness

    out.mkdir(parents=True, exist_ok=True)
    eff = effectiveness(
        scenario, seeds, jobs=jobs, draws=draws, draws_from=draws_from or "the shipped defaults"
    )
    eff.table.to_csv(out / "effectiveness.csv", index=False)
    eff.claims.to_csv(out / "claims.csv", index=False)
    (out / "effectiveness.md").write_text(eff.markdown(), encoding="utf-8")
    sys.stdout.write(eff.markdown())
    return eff


def cmd_effectiveness(args) -> int:
    _check_common(args)
    scenario, _ = _scenario(args)
    seeds, jobs = _seeds(args), _jobs(args)
    draws, draws_from = _draws(args)
    _write_effectiveness(scenario, seeds, jobs, Path(args.out), draws, draws_from)
    print(f"wrote {Path(args.out) / 'effectiveness.md'}, effectiveness.csv, claims.csv")
    return 0


def cmd_robustness(args) -> int:
    from sim.calibration.robustness import explored_params, figures, robustness

    _check_common(args)
    scenario, _ = _scenario(args)
    seeds, jobs = _seeds(args), _jobs(args)
    if args.samples < 2:
        raise UserError(f"must be >= 2, got {args.samples}", key="--samples")
    params = explored_params(keys=args.params or None)
    out = Path(args.out)
    start = time.perf_counter()
    result = robustness(
        scenario,
        method=args.method,
        samples=args.samples,
        seeds=seeds,
        params=params,
        master_seed=args.design_seed,
        jobs=jobs,
    )
    out.mkdir(parents=True, exist_ok=True)
    result.claims.to_csv(out / "claims.csv", index=False)
    result.indices.to_csv(out / "indices.csv", index=False)
    result.points.to_csv(out / "points.csv", index=False)
    (out / "robustness.md").write_text(result.markdown(), encoding="utf-8")
    paths = figures(result, out)
    sys.stdout.write(result.markdown())
    print(
        f"wrote {out / 'robustness.md'}, claims.csv, indices.csv, points.csv and {len(paths)} "
        f"figures ({time.perf_counter() - start:.0f}s)"
    )
    return 0


def _calibrate_abc(args, scenario, params, targets, seeds) -> int:
    from sim.calibration.abc import abc_calibrate

    if not params:
        raise UserError("no free parameters: give --param KEY=LOW:HIGH or --params-file")
    start = time.perf_counter()
    result = abc_calibrate(
        scenario,
        params,
        targets,
        out_dir=args.out,
        population=args.population,
        generations=args.generations,
        seeds=seeds,
        seed=args.seed,
        fresh=args.fresh,
        log=lambda line: print(line, flush=True),
    )
    print(result["diagnostics"].to_string(index=False))
    for key, value in result["means"].items():
        print(f"  posterior mean {key} = {value:.6g}")
    print(
        f"wrote {Path(args.out) / 'posterior.parquet'}, diagnostics.csv, posterior.png "
        f"({time.perf_counter() - start:.0f}s)"
    )
    return 0
