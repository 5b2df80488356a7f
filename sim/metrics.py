"""The output contract: weekly records, monthly aggregates and the run summary.

Column meanings and units are documented in docs/OUTPUTS.md; keep the two in step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.plugins import TRACKS
from sim.territory import BESIEGED, GOV, ISIL, KURD, OPP

# The model's own weekly columns, name -> (unit, meaning). The policy tracks add theirs
# (`Track.columns`). Each group below stands just before the named track's columns (None: after
# every track's), which keeps timeseries.csv's column order: step, date, chemical, access,
# violence, ceasefire, relations and control.
OWN_COLUMNS: tuple[tuple[str | None, dict[str, tuple[str, str]]], ...] = (
    ("ceasefire", {"violence": ("deaths/week", "Conflict deaths")}),
    (
        None,
        {
            "us_russia_trust": ("share", "Trust between the US and Russia"),
            "escalation": ("share", "Risk of US-Russian escalation"),
            "leverage_russia": ("share", "Russia's leverage stock over the government"),
            "leverage_us": ("share", "Mean US leverage stock over opposition groups"),
            "pop_share_government": ("share", "Share of the population in government-held areas"),
            "pop_share_opposition": ("share", "Share in opposition-held areas"),
            "pop_share_isil": ("share", "Share in ISIL-held areas"),
            "pop_share_kurdish": ("share", "Share in Kurdish-held areas"),
            "areas_changed": ("areas/week", "Areas that changed hands"),
            "siege_deals": (
                "areas/week",
                "Besieged areas that surrendered or were evacuated by a deal",
            ),
            "offensives": ("offensives/week", "Offensives under way (all sides)"),
            "besieged_areas": ("areas", "Areas besieged"),
            "areas_government": ("areas", "Areas held by the government"),
            "areas_opposition": ("areas", "Areas held by opposition groups"),
            "areas_isil": ("areas", "Areas held by ISIL"),
            "areas_kurdish": ("areas", "Areas held by the Kurdish forces (SDF)"),
            "displaced": (
                "people",
                "Internally displaced people (stock, in the areas hosting them)",
            ),
            "displaced_new": (
                "people/week",
                "People newly displaced inside Syria (incl. evacuees)",
            ),
            "refugees": ("people", "People who fled abroad since the start (stock)"),
            "refugees_new": ("people/week", "People who fled abroad this week"),
        },
    ),
)
OWN_FLOWS = ("violence", "areas_changed", "siege_deals", "displaced_new", "refugees_new")


def weekly_columns() -> dict[str, tuple[str, str]]:
    """Every weekly column after step and date, in timeseries.csv's order: name -> (unit,
    meaning). Read from the registered tracks each time (a track registered later is included)."""
    cols: dict[str, tuple[str, str]] = {}
    for name, track in TRACKS.items():
        for before, group in OWN_COLUMNS:
            if before == name:
                cols.update(group)
        cols.update(track.columns)
    for before, group in OWN_COLUMNS:
        if before is None or before not in TRACKS:
            cols.update(group)
    return cols


def flows() -> tuple[str, ...]:
    """The weekly columns that are flows (summed per month); the others are stocks (averaged)."""
    names = {*OWN_FLOWS, *(c for track in TRACKS.values() for c in track.flows)}
    return tuple(c for c in weekly_columns() if c in names)


def __getattr__(name: str):
    # WEEKLY, WEEKLY_COLUMNS and FLOWS as names, computed when read (tracks register on first use)
    if name == "WEEKLY":
        return weekly_columns()
    if name == "WEEKLY_COLUMNS":
        return ("step", "date", *weekly_columns())
    if name == "FLOWS":
        return flows()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def weekly_record(model, week: int) -> dict:
    """This week's values of every weekly column (the model's own and each track's)."""
    t = model.territory
    pop = t.population
    by = np.bincount(t.controller, weights=pop, minlength=4) / pop.sum()
    areas = np.bincount(t.controller, minlength=4)
    conflict = model.conflict
    values = {
        "step": week,
        "date": model.date.isoformat(),
        "violence": model.violence,
        "us_russia_trust": model.trust,
        "escalation": model.escalation,
        "leverage_russia": float(model.russia.leverage[0]),
        "leverage_us": float(model.us.leverage.mean()),
        "pop_share_government": float(by[GOV]),
        "pop_share_opposition": float(by[OPP]),
        "pop_share_isil": float(by[ISIL]),
        "pop_share_kurdish": float(by[KURD]),
        "areas_changed": conflict.changed,
        "siege_deals": conflict.deals,
        "offensives": int(conflict.offensive.sum()),
        "besieged_areas": int((t.status == BESIEGED).sum()),
        "areas_government": int(areas[GOV]),
        "areas_opposition": int(areas[OPP]),
        "areas_isil": int(areas[ISIL]),
        "areas_kurdish": int(areas[KURD]),
        "displaced": float(t.displaced.sum()),
        "displaced_new": conflict.displaced_week,
        "refugees": conflict.refugees,
        "refugees_new": conflict.refugees_week,
    }
    for track in model.tracks.values():
        values.update(track.record())
    return {c: values[c] for c in model.columns}


def monthly(weekly: pd.DataFrame) -> pd.DataFrame:
    """Flows summed per calendar month (a week counts in the month it starts), stocks averaged,
    then each track's own monthly columns (e.g. besieged_reached_frac, Track.monthly)."""
    month = weekly["date"].str.slice(0, 7)
    g = weekly.groupby(month, sort=True)
    flow = flows()
    out = g[list(flow)].sum()
    stocks = [c for c in weekly_columns() if c not in flow]
    out = out.join(g[stocks].mean())
    out["weeks"] = g.size()
    for track in TRACKS.values():
        track.monthly(g, out)
    out.index.name = "month"
    return out.reset_index()


def run_measures(model, weekly: pd.DataFrame, months: pd.DataFrame) -> dict[str, float]:
    """Each track's goal-effectiveness measures (Track.measures), plus relations between the
    co-leads and the war. A track's windows start at its dated decisions (whatever structure a
    counterfactual gives them), so the same measures compare counterfactuals."""
    dates: dict[str, list[str]] = {}  # event type -> dates of that decision
    for ev in model.config.events():
        dates.setdefault(ev["type"], []).append(ev["date"].isoformat())
    out: dict[str, float] = {}
    for track in model.tracks.values():
        out.update(track.measures(weekly, months, dates))
    out["trust_final"] = float(weekly["us_russia_trust"].iloc[-1])
    out["trust_mean"] = float(weekly["us_russia_trust"].mean())
    out["escalation_mean"] = float(weekly["escalation"].mean())
    out["escalation_max"] = float(weekly["escalation"].max())
    out["violence_total"] = float(weekly["violence"].sum())
    out["violence_per_month_mean"] = float(months["violence"].mean())
    out["pop_share_government_final"] = float(weekly["pop_share_government"].iloc[-1])
    return out
