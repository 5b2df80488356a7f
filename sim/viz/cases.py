"""The case studies a teacher picks in the app and the notebooks: a scenario and a date window.

Each case study is the historical scenario seen through a window of dates, with the policy
track whose structure the counterfactual changes, and the goal measures its success is judged
by (DOMAIN.md, "The three case studies").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sim.errors import UserError


@dataclass(frozen=True)
class CaseStudy:
    key: str
    label: str
    start: date  # first week shown
    end: date  # last week shown (the run stops there)
    track: str | None  # the track a side-by-side comparison changes (None: every track)
    measures: tuple[str, ...]  # output columns of the live charts
    compare_default: str  # the counterfactual structure suggested for side-by-side
    scenario: str = "historical.toml"
    what_happened: str = ""
    question: str = ""


CASES: dict[str, CaseStudy] = {
    c.key: c
    for c in (
        CaseStudy(
            key="chemical",
            label="Chemical weapons (Sept 2013 - Dec 2014)",
            start=date(2013, 9, 1),
            end=date(2014, 12, 31),
            track="chemical",
            measures=("cw_removed_frac", "chem_attacks", "us_russia_trust", "escalation"),
            compare_default="unilateral_us",
            what_happened=(
                "After the Ghouta sarin attack the US threatened strikes; on 14 Sept 2013 the US "
                "and Russia agreed a framework. Russia secured the route to Latakia, the US "
                "supplied the ship; 98% of the declared stockpile left Syria by 23 June 2014."
            ),
            question="What if the US had struck alone instead of agreeing a joint framework?",
        ),
        CaseStudy(
            key="access",
            label="Humanitarian access (2015 - mid 2017)",
            start=date(2015, 1, 1),
            end=date(2017, 6, 30),
            track="access",
            measures=("besieged_reached_mtd", "aid_reached", "us_russia_trust", "escalation"),
            compare_default="multilateral",
            what_happened=(
                "In 2015 the UN alone reached under 1% of besieged people a month. The US-Russia "
                "co-chaired ISSG task force (Feb 2016) reached up to ~40% in a month, then access "
                "fell back as Russia's leverage over Damascus waned."
            ),
            question="Would the UN alone (multilateral) or one power alone have reached as many?",
        ),
        CaseStudy(
            key="ceasefire",
            label="Cessation of hostilities (2016)",
            start=date(2016, 1, 1),
            end=date(2016, 12, 31),
            track="ceasefire",
            measures=("violence", "ceasefire_violations", "us_russia_trust", "escalation"),
            compare_default="multilateral",
            what_happened=(
                "The ISSG cessation of hostilities (27 Feb 2016) cut violence for weeks; strikes on "
                "excluded groups intermixed with signatories and mutual accusations brought it "
                "back by May. The Sept 2016 US-Russia arrangement collapsed within a week."
            ),
            question="Does a joint US-Russia task force hold a ceasefire longer than uniform rules?",
        ),
        CaseStudy(
            key="history",
            label="Full history (Apr 2012 - Dec 2017)",
            start=date(2012, 4, 1),
            end=date(2017, 12, 31),
            track=None,
            measures=(
                "cw_removed_frac",
                "besieged_reached_mtd",
                "violence",
                "us_russia_trust",
                "escalation",
                "pop_share_government",
            ),
            compare_default="multilateral",
            what_happened="Six years of diplomacy, from the Annan plan to the Astana zones.",
            question="What if every track had been run under one structure?",
        ),
    )
}

CASE_BY_LABEL = {c.label: c for c in CASES.values()}


def get_case(name: str) -> CaseStudy:
    """A case study by key ('access') or by its label; UserError naming the choices otherwise."""
    if name in CASES:
        return CASES[name]
    if name in CASE_BY_LABEL:
        return CASE_BY_LABEL[name]
    raise UserError(f"unknown case study {name!r}; choose one of: {', '.join(CASES)}")


def scenarios_dir() -> Path:
    """Folder of the shipped scenario files ($SYRIASIM_SCENARIOS, ./scenarios, or the repo's)."""
    env = os.environ.get("SYRIASIM_SCENARIOS")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd() / "scenarios", Path(__file__).resolve().parents[2] / "scenarios"]
    for c in candidates:
        if (c / "historical.toml").is_file():
            return c
    raise UserError(
        "cannot find the scenarios folder (historical.toml); run from the repository root "
        "or set SYRIASIM_SCENARIOS=/path/to/scenarios"
    )


def scenario_path(case: CaseStudy) -> Path:
    return scenarios_dir() / case.scenario
