"""The output contract: weekly records, monthly aggregates and the run summary.

Column meanings and units are documented in docs/OUTPUTS.md; keep the two in step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.territory import BESIEGED, GOV, HARD_TO_REACH, ISIL, KURD, OPP

# name -> (unit, meaning); the order is the column order of timeseries.csv after step and date.
WEEKLY: dict[str, tuple[str, str]] = {
    "cw_declared_t": ("tonnes", "Declared chemical agent still in Syria (0 before a declaration)"),
    "cw_removed_frac": ("share", "Share of the declared stockpile shipped out of Syria"),
    "chem_attacks": ("attacks/week", "Chemical attacks by the government"),
    "aid_requested": (
        "people/week",
        "People covered by the UN's monthly convoy plan (in the plan's week)",
    ),
    "aid_approved": ("people/week", "Of those, people in places the government approved"),
    "aid_reached": ("people/week", "People reached by cross-line convoys"),
    "aid_cross_border": ("people/week", "People reached by cross-border aid"),
    "aid_airdropped": ("people/week", "People reached by airdrops"),
    "besieged_pop": ("people", "People living in besieged areas"),
    "besieged_reached": (
        "people/week",
        "People in besieged areas newly reached this week (distinct within the month)",
    ),
    "hard_to_reach_pop": ("people", "People in hard-to-reach areas"),
    "violence": ("deaths/week", "Conflict deaths"),
    "ceasefire_active": ("0/1", "A cessation of hostilities is in force"),
    "ceasefire_violations": (
        "incidents/week",
        "Violations of the ceasefire (fire by signatories, collateral strikes)",
    ),
    "collateral_strikes": ("strikes/week", "Strikes on excluded fighters that hit signatory areas"),
    "us_russia_trust": ("share", "Trust between the US and Russia"),
    "escalation": ("share", "Risk of US-Russian escalation"),
    "leverage_russia": ("share", "Russia's leverage stock over the government"),
    "leverage_us": ("share", "Mean US leverage stock over opposition groups"),
    "pop_share_government": ("share", "Share of the population in government-held areas"),
    "pop_share_opposition": ("share", "Share in opposition-held areas"),
    "pop_share_isil": ("share", "Share in ISIL-held areas"),
    "pop_share_kurdish": ("share", "Share in Kurdish-held areas"),
    "areas_changed": ("areas/week", "Areas that changed hands"),
    "siege_deals": ("areas/week", "Besieged areas that surrendered or were evacuated by a deal"),
    "offensives": ("offensives/week", "Offensives under way (all sides)"),
    "besieged_areas": ("areas", "Areas besieged"),
    "areas_government": ("areas", "Areas held by the government"),
    "areas_opposition": ("areas", "Areas held by opposition groups"),
    "areas_isil": ("areas", "Areas held by ISIL"),
    "areas_kurdish": ("areas", "Areas held by the Kurdish forces (SDF)"),
    "displaced": ("people", "Internally displaced people (stock, in the areas hosting them)"),
    "displaced_new": ("people/week", "People newly displaced inside Syria (incl. evacuees)"),
    "refugees": ("people", "People who fled abroad since the start (stock)"),
    "refugees_new": ("people/week", "People who fled abroad this week"),
}
WEEKLY_COLUMNS = ("step", "date", *WEEKLY)
FLOWS = (
    "chem_attacks",
    "aid_requested",
    "aid_approved",
    "aid_reached",
    "aid_cross_border",
    "aid_airdropped",
    "besieged_reached",
    "violence",
    "ceasefire_violations",
    "collateral_strikes",
    "areas_changed",
    "siege_deals",
    "displaced_new",
    "refugees_new",
)


def weekly_record(model, week: int) -> dict:
    t = model.territory
    chem, access, cf = model.tracks["chemical"], model.tracks["access"], model.tracks["ceasefire"]
    pop = t.population
    total = pop.sum()
    by = np.bincount(t.controller, weights=pop, minlength=4) / total
    areas = np.bincount(t.controller, minlength=4)
    conflict = model.conflict
    return {
        "step": week,
        "date": model.date.isoformat(),
        "cw_declared_t": chem.declared_in_syria,
        "cw_removed_frac": chem.removed_frac,
        "chem_attacks": chem.attacks,
        "aid_requested": access.requested,
        "aid_approved": access.approved_people,
        "aid_reached": access.reached,
        "aid_cross_border": access.cross_border,
        "aid_airdropped": access.airdropped,
        "besieged_pop": float(pop[t.status == BESIEGED].sum()),
        "besieged_reached": access.besieged_reached,
        "hard_to_reach_pop": float(pop[t.status == HARD_TO_REACH].sum()),
        "violence": model.violence,
        "ceasefire_active": int(cf.active),
        "ceasefire_violations": cf.violations,
        "collateral_strikes": cf.collateral,
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


def monthly(weekly: pd.DataFrame) -> pd.DataFrame:
    """Flows summed per calendar month (a week counts in the month it starts), stocks averaged,
    plus besieged_reached_frac = distinct people in besieged areas reached / people besieged."""
    month = weekly["date"].str.slice(0, 7)
    g = weekly.groupby(month, sort=True)
    out = g[list(FLOWS)].sum()
    stocks = [c for c in WEEKLY if c not in FLOWS]
    out = out.join(g[stocks].mean())
    out["cw_removed_frac"] = g["cw_removed_frac"].last()
    out["cw_declared_t"] = g["cw_declared_t"].last()
    out["weeks"] = g.size()
    out["besieged_reached_frac"] = np.where(
        out["besieged_pop"] > 0,
        np.minimum(
            out["besieged_reached"] / out["besieged_pop"].where(out["besieged_pop"] > 0, 1), 1.0
        ),
        0.0,
    )
    out["aid_rejected_frac"] = np.where(
        out["aid_requested"] > 0,
        1 - out["aid_approved"] / out["aid_requested"].where(out["aid_requested"] > 0, 1),
        0.0,
    )
    out["aid_reached_frac"] = np.where(
        out["aid_requested"] > 0,
        out["aid_reached"] / out["aid_requested"].where(out["aid_requested"] > 0, 1),
        0.0,
    )
    out.index.name = "month"
    return out.reset_index()


def effectiveness(model, weekly: pd.DataFrame, months: pd.DataFrame) -> dict[str, float]:
    """Each track's goal-effectiveness measures, plus relations between the co-leads. Windows
    start at a track's dated decision (whatever structure a counterfactual gives it), so the same
    measures compare counterfactuals."""
    out: dict[str, float] = {}
    dates = {}  # event type -> dates of that decision, whatever structure a counterfactual gives it
    for ev in model.config.events():
        dates.setdefault(ev["type"], []).append(ev["date"].isoformat())
    chem = model.tracks["chemical"]
    out["cw_removed_frac_final"] = chem.removed_frac
    after = weekly[weekly["date"] >= dates.get("cw_framework", ["9999"])[0]]
    reached95 = after.index[after["cw_removed_frac"] >= 0.95]
    out["cw_weeks_to_95pct"] = (
        float(reached95[0] - after.index[0]) if len(reached95) else float("nan")
    )
    out["chem_attacks_total"] = float(weekly["chem_attacks"].sum())
    out["chem_attacks_after_framework"] = float(after["chem_attacks"].sum())
    # Access: monthly share of besieged people reached, over the year from the track's last dated
    # decision (the 2016 task force in the historical scenario).
    start = dates["access_regime"][-1][:7] if "access_regime" in dates else months["month"].iloc[0]
    window = months[(months["month"] >= start)].head(12)
    out["access_reached_frac_mean_12m"] = (
        float(window["besieged_reached_frac"].mean()) if len(window) else 0.0
    )
    out["access_reached_frac_best_12m"] = (
        float(window["besieged_reached_frac"].max()) if len(window) else 0.0
    )
    req = window["aid_requested"].sum()
    out["access_reached_over_requested_12m"] = (
        float(window["aid_reached"].sum() / req) if req else 0.0
    )
    out["aid_reached_total"] = float(weekly["aid_reached"].sum())
    # Ceasefires.
    hist = model.tracks["ceasefire"].history
    durations = [h["weeks_active"] for h in hist if h["active"]]
    drops = [
        1 - h["violence_first_4w"] / h["pre_level"]
        for h in hist
        if h["violence_first_4w"] is not None and h["pre_level"] > 0
    ]
    out["ceasefires_launched"] = float(len(hist))
    out["ceasefires_signed"] = float(len(durations))
    out["ceasefire_weeks_active"] = float(weekly["ceasefire_active"].sum())
    out["ceasefire_mean_duration_weeks"] = float(np.mean(durations)) if durations else 0.0
    out["ceasefire_collapses"] = float(sum(h["collapsed"] for h in hist))
    out["ceasefire_violence_drop_4w"] = float(np.mean(drops)) if drops else 0.0
    out["ceasefire_violations_total"] = float(weekly["ceasefire_violations"].sum())
    # Relations and the war.
    out["trust_final"] = float(weekly["us_russia_trust"].iloc[-1])
    out["trust_mean"] = float(weekly["us_russia_trust"].mean())
    out["escalation_mean"] = float(weekly["escalation"].mean())
    out["escalation_max"] = float(weekly["escalation"].max())
    out["violence_total"] = float(weekly["violence"].sum())
    out["violence_per_month_mean"] = float(months["violence"].mean())
    out["pop_share_government_final"] = float(weekly["pop_share_government"].iloc[-1])
    return out
