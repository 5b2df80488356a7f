"""Core commands: scenarios, validate, run, params, demo."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import options
from sim.io_safety import check_out_path, check_seed, safe_name


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenarios", help="list the shipped scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser(
        "validate", help="check a scenario file (and --set overrides) without running it"
    )
    p.add_argument("scenario")
    options.add_set(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "run", help="run one scenario with one seed; write timeseries, monthly, summary"
    )
    p.add_argument("scenario", help="a scenario file, or the name of a shipped one")
    options.add_seed(p, None, "random seed (default: the scenario's)")
    options.add_out(p, help="output folder (default: out/<scenario>-seed<seed>)")
    options.add_set(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("params", help="list every parameter with unit, range, default and source")
    p.add_argument(
        "--markdown", action="store_true", help="print the Markdown reference (docs/PARAMETERS.md)"
    )
    p.set_defaults(func=cmd_params)

    p = sub.add_parser(
        "demo", help="the default demonstration: history and its counterfactuals, with a figure"
    )
    options.add_seeds(p, 10, "seeds per scenario")
    options.add_out(p, "out/demo", help="output folder (default out/demo)")
    p.set_defaults(func=cmd_demo)


def cmd_scenarios(args) -> int:
    from sim.scenario import load_scenario, shipped_scenarios

    for path in shipped_scenarios():
        sc = load_scenario(path)
        print(f"{path.stem:<32} {sc.description}")
    return 0


def cmd_validate(args) -> int:
    from sim.scenario import load_scenario

    sc = load_scenario(args.scenario, overrides=args.sets)
    print(
        f"{sc.path}: ok ({sc.name}, {sc.start} .. {sc.end}, {sc.n_steps} weeks, "
        f"{len(sc.data['events'])} events, hash {sc.hash[:12]})"
    )
    return 0


def cmd_run(args) -> int:
    from sim.runner import check_run_folder, run
    from sim.scenario import load_scenario

    sc = load_scenario(args.scenario, overrides=args.sets)
    seed = check_seed(sc.data["seed"] if args.seed is None else args.seed, "--seed")
    out = check_out_path(args.out or Path("out") / f"{safe_name(sc.name, 'run')}-seed{seed}")
    check_run_folder(out)
    result = run(sc, seed=seed)
    result.write(out)
    m = result.metrics
    print(f"{sc.name} seed {seed}: {len(result.timeseries)} weeks -> {out}/")
    print(
        f"  chemical: {m['cw_removed_frac_final']:.0%} of declared stockpile removed; "
        f"{m['chem_attacks_after_framework']:.0f} attacks after the framework"
    )
    print(
        f"  access: best month {m['access_reached_frac_best_12m']:.1%} of besieged reached "
        f"(mean {m['access_reached_frac_mean_12m']:.1%}, first 12 months of the last regime)"
    )
    print(
        f"  ceasefires: {m['ceasefires_signed']:.0f} signed, {m['ceasefire_weeks_active']:.0f} weeks in force, "
        f"{m['ceasefire_collapses']:.0f} collapses; trust at end {m['trust_final']:.2f}"
    )
    return 0


def cmd_params(args) -> int:
    from sim.docs import parameter_rows, parameters_markdown

    if args.markdown:
        print(parameters_markdown(), end="")
        return 0
    for key, p in parameter_rows():
        print(f"{key:<52} {p.default!s:<10} {p.unit:<16} {p.allowed()}")
    return 0


def cmd_demo(args) -> int:
    from sim.demo import demo
    from sim.runner import check_run_folder

    out = check_out_path(args.out)
    check_run_folder(out / "historical-seed0")
    demo(out, args.seeds)
    return 0
