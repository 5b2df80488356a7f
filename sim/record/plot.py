"""A figure of the record: one panel per unit, control shares by snapshot, ceasefire spans."""

from __future__ import annotations

from pathlib import Path

from sim.viz import style


def plot_record(record, out, names=None) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from sim.record import SERIES

    names = [n for n in (names or SERIES) if len(record.get(n).dropna(subset=["value"]))]
    by_unit: dict[str, list[str]] = {}
    for name in names:
        by_unit.setdefault(SERIES[name].unit, []).append(name)
    whole = names == [n for n in SERIES if n in names] and len(names) > 1
    panels = list(by_unit.items()) + ([("control", None)] if whole else [])
    with style.RcContext():
        fig, axes = plt.subplots(
            len(panels) or 1, 1, figsize=(9, 2.2 * max(1, len(panels))), sharex=True, squeeze=False
        )
        for ax, (unit, members) in zip(axes[:, 0], panels, strict=False):
            if members is None:
                _control_panel(ax, record)
                continue
            for name in members:
                rows = record.get(name)
                ax.plot(rows["date"], rows["value"], marker=".", ms=3, lw=1, label=name)
            ax.set_ylabel(unit)
            ax.legend(fontsize=7, loc="upper left")
            if unit.startswith("deaths"):
                _ceasefire_spans(ax, record)
        style.format_date_axis(axes[-1, 0], label="Date")
        fig.suptitle("The record (sim/data/record/)")
        path = style.save_figure(fig, out)
        plt.close(fig)
    return path


def _ceasefire_spans(ax, record) -> None:
    """Shade each ceasefire from its start to the date it stopped holding (hatched if open)."""
    import pandas as pd

    last = record.series["date"].max()
    for _, cf in record.ceasefires.iterrows():
        open_ended = pd.isna(cf["end"])
        end = last if open_ended else cf["end"]
        ax.axvspan(
            cf["start"], end, color="#999999", alpha=0.2, lw=0, hatch="//" if open_ended else None
        )


def _control_panel(ax, record) -> None:
    """Share of the network's areas held by each controller at each snapshot."""
    from sim.territory import CONTROLLERS

    control = record.control
    dates = record.snapshot_dates()
    for who in CONTROLLERS:
        share = [(control[control["date"] == d]["controller"] == who).mean() for d in dates]
        ax.plot(dates, share, marker="o", color=style.actor_color(who), label=who)
    ax.set_ylabel("share of areas")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper left")
