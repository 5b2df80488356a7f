"""CLI commands of the viz layer: `syriasim app` and `syriasim figure`.

syriasim app [--port 8765] [--host 127.0.0.1] [--case access] [--seed 7] [--compare multilateral]
syriasim figure case access --structures timeline,multilateral --seed 7 --out access.png
syriasim figure map scenarios/historical.toml --date 2016-06-01 --seed 7 --out map.svg
syriasim figure run out/hist7 --columns violence,us_russia_trust --out hist.png
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sim import options
from sim.errors import UserError
from sim.io_safety import check_out_file, die_with_parent

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_ENTRY = "sim.viz.app:Page"


def add_parser(subparsers) -> None:
    from sim.viz.cases import CASES

    app = subparsers.add_parser(
        "app",
        help="open the teaching app in a browser (Mesa SolaraViz page on 127.0.0.1)",
        description="Serve the interactive app: pick a case study, flip structures, step weeks, "
        "compare two structures on the same seed. Listens on 127.0.0.1 only unless --host is "
        "given. Stop it with Ctrl-C.",
    )
    app.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"TCP port to listen on (default {DEFAULT_PORT})",
    )
    app.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="interface to listen on (default 127.0.0.1, this machine only; "
        "0.0.0.0 exposes the app to the network)",
    )
    app.add_argument(
        "--case",
        default="access",
        choices=list(CASES),
        help="case study shown at start-up (default access)",
    )
    app.add_argument("--seed", type=int, default=7, help="seed at start-up (0-999, default 7)")
    app.add_argument(
        "--compare",
        default="off",
        metavar="STRUCTURE",
        help="start in side-by-side mode against this structure (default off)",
    )
    app.add_argument("--open", action="store_true", help="open a browser tab once serving")
    app.set_defaults(func=cmd_app)

    fig = subparsers.add_parser(
        "figure",
        help="save a figure (map, case-study comparison, a saved run) as PNG, SVG or PDF",
        description="Draw one of the app's figures to a file; the format follows the extension "
        "of --out (.png, .svg or .pdf).",
    )
    kinds = fig.add_subparsers(dest="kind", metavar="KIND", required=True)

    case = kinds.add_parser("case", help="goal measures of a case study under several structures")
    case.add_argument("case", choices=list(CASES), help="case study")
    case.add_argument(
        "--structures",
        default=None,
        help="comma-separated structures for the case's track, same seed each "
        "(default: timeline and the case's counterfactual)",
    )
    options.add_seed(case, 7, "seed (default 7)")
    case.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="draw the mean and band over this many seeds instead of one seed (the app's "
        "ensemble view; its fixed seeds, see sim/viz/ensemble.py)",
    )
    _common_fig_args(case)
    case.set_defaults(func=cmd_figure_case)

    mp = kinds.add_parser("map", help="the territory map at a given week")
    mp.add_argument("scenario", help="scenario file, e.g. scenarios/historical.toml")
    mp.add_argument("--date", default=None, help="week to show, YYYY-MM-DD (default: the end)")
    options.add_seed(mp, 7, "seed (default 7)")
    _common_fig_args(mp)
    mp.set_defaults(func=cmd_figure_map)

    run = kinds.add_parser("run", help="time series of a saved run (a `syriasim run --out` folder)")
    run.add_argument("run_dir", help="folder holding timeseries.csv")
    run.add_argument(
        "--columns",
        default="cw_removed_frac,besieged_reached_mtd,violence,"
        "us_russia_trust,escalation,pop_share_government",
        help="comma-separated output columns, one chart each",
    )
    options.add_out(run, required=True, help="output file: .png, .svg or .pdf")
    run.add_argument("--title", default=None)
    run.set_defaults(func=cmd_figure_run)


def _common_fig_args(p) -> None:
    options.add_set(p)
    options.add_out(p, required=True, help="output file: .png, .svg or .pdf")
    p.add_argument("--title", default=None)


# --- syriasim app --------------------------------------------------------------------------------
def check_port_free(host: str, port: int) -> None:
    """Raise UserError (one line, with the fix) if `port` on `host` cannot be listened on."""
    if not 0 < port < 65536:
        raise UserError(f"--port {port} is out of range; use a port between 1024 and 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} on {host} is already in use (another `syriasim app`?); "
                    f"stop that program or pick a free port: syriasim app --port {_free_port(host, port)}"
                ) from None
            if exc.errno == errno.EACCES:
                raise UserError(
                    f"no permission to listen on port {port}; use a port above 1023, "
                    f"e.g. syriasim app --port {DEFAULT_PORT}"
                ) from None
            raise UserError(
                f"cannot listen on {host}:{port} ({exc.strerror}); check --host (default 127.0.0.1)"
            ) from None


def _free_port(host: str, near: int = DEFAULT_PORT) -> int:
    """A port that is free now: the next few after `near` first, else one the OS picks."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port in [*range(near + 1, min(near + 20, 65535)), 0]:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    return near + 1


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_command(host: str, port: int, *, open_browser: bool = False) -> list[str]:
    """The solara command line that serves the app."""
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_ENTRY,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--log-level",
        "warning",
    ]
    cmd.append("--open" if open_browser else "--no-open")
    return cmd


def app_environment(case: str, seed: int, compare: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SYRIASIM_APP_CASE=case,
        SYRIASIM_APP_SEED=str(seed),
        SYRIASIM_APP_COMPARE=compare,
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",  # no phoning home from a classroom
        SOLARA_THEME_SHOW_BANNER="False",  # its corner banner would cover the page's text
        SYRIASIM_APP_PREWARM="1",  # build the first page's model when the server starts
        MPLBACKEND="Agg",
    )
    # make `sim` importable by the server even when run from another folder
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def validate_app_args(args) -> None:
    from sim.viz.app_model import OFF, SEED_MAX, structure_choices
    from sim.viz.cases import get_case, scenarios_dir

    get_case(args.case)
    if not 0 <= args.seed <= SEED_MAX:
        raise UserError(f"--seed {args.seed} is out of range; the app's seeds run 0 to {SEED_MAX}")
    if args.compare != OFF and args.compare not in structure_choices():
        raise UserError(
            f"--compare {args.compare!r} is not a structure; choose one of: "
            f"off, {', '.join(structure_choices())}"
        )
    scenarios_dir()


def _warn_missing_assets() -> None:
    """The page's JavaScript comes from a CDN unless cached locally: say so for offline rooms."""
    try:
        from sim.viz.assets import missing_packages

        missing = missing_packages()
    except Exception:  # a check only: never stop the app for it
        return
    if missing:
        print(
            "syriasim app: note: the page's browser assets are not stored locally; without "
            "internet access the page stays blank (fix: python -m sim.viz.assets)",
            file=sys.stderr,
        )


def cmd_app(args) -> int:
    validate_app_args(args)
    check_port_free(args.host, args.port)
    if not _is_loopback(args.host):
        print(
            f"syriasim app: warning: listening on {args.host}: anyone who can reach this "
            "machine can use the app",
            file=sys.stderr,
        )
    _warn_missing_assets()
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"syriasim app: serving on http://{shown}:{args.port}/  (Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(
        app_command(args.host, args.port, open_browser=args.open),
        env=app_environment(args.case, args.seed, args.compare),
        preexec_fn=die_with_parent,  # a killed `syriasim app` takes its server with it
    )

    def stop(signum, _frame):  # SIGTERM (kill, a test's teardown): stop the server too
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- syriasim figure -----------------------------------------------------------------------------
def cmd_figure_case(args) -> int:
    check_out_file(args.out, "--out")
    from sim.viz import adapter, style
    from sim.viz.app_model import base_scenario, case_series
    from sim.viz.cases import get_case
    from sim.viz.figures import goals_figure

    case = get_case(args.case)
    structures = (
        options.csv_list(args.structures) if args.structures else ["timeline", case.compare_default]
    )
    if args.seeds is not None:
        return _figure_case_ensemble(args, case, structures)
    series = case_series(case, structures, seed=args.seed, overrides=args.sets)
    fig = goals_figure(
        series,
        case.measures,
        window=(case.start, case.end),
        events=adapter.timeline_events(base_scenario(case)),
        title=args.title or f"{case.label}: goal measures, seed {args.seed}",
    )
    path = style.save_figure(fig, args.out)
    print(path)
    return 0


def _figure_case_ensemble(args, case, structures) -> int:
    from sim import load_scenario
    from sim.viz import adapter, ensemble, style
    from sim.viz.app_model import _structure_key
    from sim.viz.cases import scenario_path
    from sim.viz.figures import ensemble_figure
    from sim.viz.live import headline_column, other_columns

    if not 1 <= args.seeds <= 1000:
        raise UserError(f"--seeds {args.seeds} is out of range; use 1 to 1000")
    base = load_scenario(scenario_path(case), overrides=args.sets or None)
    keys = [_structure_key(s) for s in structures]
    ens = ensemble.compute(case, base, keys, n_seeds=args.seeds, jobs=0)
    fig = ensemble_figure(
        ens,
        [headline_column(case), *other_columns(case)],
        window=(case.start, case.end),
        events=adapter.timeline_events(base),
        title=args.title or f"{case.label}: mean and middle 80% of {args.seeds} seeds",
    )
    print(style.save_figure(fig, args.out))
    return 0


def cmd_figure_map(args) -> int:
    check_out_file(args.out, "--out")
    from sim import load_scenario
    from sim.viz import adapter, style
    from sim.viz.figures import map_figure

    sc = load_scenario(args.scenario, overrides=args.sets or None)
    when = sc.end
    if args.date:
        try:
            when = dt.date.fromisoformat(args.date)
        except ValueError:
            raise UserError(f"--date {args.date!r} is not a date like 2016-06-01") from None
        if not sc.start <= when <= sc.end:
            raise UserError(
                f"--date {when} is outside the scenario's horizon {sc.start} .. {sc.end}"
            )
    model = adapter.new_model(sc, args.seed)
    adapter.fast_forward(model, when)
    title = (
        args.title or f"{sc.name}, seed {args.seed}: week of {adapter.current_date(model):%d %b %Y}"
    )
    fig = map_figure([(title, adapter.map_data(model))])
    print(style.save_figure(fig, args.out))
    return 0


def cmd_figure_run(args) -> int:
    check_out_file(args.out, "--out")
    import pandas as pd

    from sim.viz import style
    from sim.viz.figures import Series, add_derived_columns, goals_figure

    path = Path(args.run_dir)
    csv = path / "timeseries.csv" if path.is_dir() else path
    if not csv.is_file():
        raise UserError(f"{csv}: no such file; give a `syriasim run --out` folder")
    df = add_derived_columns(pd.read_csv(csv))
    columns = options.csv_list(args.columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(f"{csv}: no column {missing[0]!r}; available: {', '.join(df.columns)}")
    label = path.name if path.is_dir() else path.parent.name
    fig = goals_figure([Series("timeline", df, label)], columns, title=args.title or f"Run {label}")
    print(style.save_figure(fig, args.out))
    return 0


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - convenience for debugging
    parser = argparse.ArgumentParser(prog="syriasim")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)
