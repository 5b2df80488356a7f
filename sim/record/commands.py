"""CLI: `syriasim record` lists the sourced record; `--plot OUT.png` draws it.

syriasim record                       # one line per series / table: unit, rows, span, sources
syriasim record --plot record.png     # every series, control shares and ceasefires in one figure
syriasim record --plot deaths.png --series deaths_vdc,deaths_ucdp
syriasim record --dir my_record/      # validate and list another copy of the record
"""

from __future__ import annotations

import argparse

from sim.errors import UserError
from sim.io_safety import check_out_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record", help="list (or --plot) the sourced historical record in sim/data/record/"
    )
    p.add_argument("--dir", default=None, help="record folder (default: the shipped record)")
    p.add_argument("--areas", default=None, help="areas.csv the control rows refer to")
    p.add_argument(
        "--plot", default=None, metavar="OUT", help="draw the record to OUT (.png/.svg/.pdf)"
    )
    p.add_argument("--series", default=None, help="comma-separated series to plot (default: all)")
    p.set_defaults(func=cmd_record)


def cmd_record(args) -> int:
    from sim.record import SERIES, load

    if args.plot:
        check_out_file(args.plot, "--plot")
    record = load(args.dir, args.areas)
    names = None
    if args.series:
        names = [n.strip() for n in args.series.split(",") if n.strip()]
        unknown = [n for n in names if n not in SERIES]
        if unknown:
            raise UserError(
                f"unknown series {unknown[0]!r}; known: {', '.join(SERIES)}", key="--series"
            )
    if args.plot:
        from sim.record.plot import plot_record

        path = plot_record(record, args.plot, names)
        print(f"record plotted -> {path}")
        return 0
    for line in summary_lines(record, names):
        print(line)
    return 0


def summary_lines(record, names=None) -> list[str]:
    from sim.record import SERIES

    def span(dates) -> str:
        return f"{dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d}" if len(dates) else "-"

    lines = [f"{'series':<32} {'unit':<22} {'rows':>5} {'gaps':>5} {'span':<22} sources"]
    for name in names or SERIES:
        rows = record.get(name)
        lines.append(
            f"{name:<32} {SERIES[name].unit:<22} {len(rows):>5} {int(rows['gap'].sum()):>5} "
            f"{span(rows['date']):<22} {rows['source'].nunique()}"
        )
    if names is None:
        for label, frame, col in (
            ("control (area snapshots)", record.control, "date"),
            ("sieges", record.sieges, "start"),
            ("ceasefires", record.ceasefires, "start"),
        ):
            lines.append(
                f"{label:<32} {'-':<22} {len(frame):>5} {'-':>5} {span(frame[col]):<22} "
                f"{frame['source'].nunique()}"
            )
        lines.append(f"{len(record.sources)} sources in sources.csv")
    return lines
