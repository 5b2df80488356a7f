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
    key_dates: tuple[tuple[date, str], ...] = ()  # the app's "jump to" buttons
    lesson: tuple[LessonStep, ...] = ()  # the guided lesson (docs/TEACHING.md)


@dataclass(frozen=True)
class LessonStep:
    """One step of a guided lesson: what to set, where to go, what to ask the class."""

    title: str
    question: str
    compare_with: str = "off"  # side-by-side structure to set (off: one run)
    go_to: date | None = None  # the week to jump to
    view: str = "ensemble"  # ensemble (mean and band) or single (one possible history)


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
            key_dates=(
                (date(2013, 9, 14), "Framework"),
                (date(2014, 1, 7), "First shipment"),
                (date(2014, 6, 23), "Last shipment"),
            ),
            lesson=(
                LessonStep(
                    "The framework",
                    "The US threatened strikes; Russia offered a deal. What could each power "
                    "do that the other could not?",
                    go_to=date(2013, 9, 14),
                ),
                LessonStep(
                    "Removal under the framework",
                    "Compare the purple band (US-Russia) with the blue one (US alone). Why does "
                    "removal need Russia's route to Latakia?",
                    go_to=date(2014, 6, 23),
                ),
                LessonStep(
                    "One possible history",
                    "Side by side: the same seed under the US alone. Which areas differ on the "
                    "map, and how do trust and escalation move?",
                    compare_with="unilateral_us",
                    go_to=date(2014, 6, 23),
                    view="single",
                ),
            ),
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
            key_dates=(
                (date(2015, 6, 1), "2015: UN alone"),
                (date(2016, 2, 12), "ISSG task force"),
                (date(2016, 12, 22), "Aleppo falls"),
            ),
            lesson=(
                LessonStep(
                    "2015: the UN alone",
                    "Under 1% of besieged people reached a month (the black bar). Why can the "
                    "UN not get through on its own?",
                    go_to=date(2015, 12, 31),
                ),
                LessonStep(
                    "The task force",
                    "February 2016: the US and Russia co-chair a task force. Where do the "
                    "purple (bilateral) and green (multilateral) bands part?",
                    go_to=date(2016, 6, 30),
                ),
                LessonStep(
                    "Why it fades",
                    "Access falls back in late 2016 under the same structure. Read the panel "
                    "'This week': what happens to Russia's leverage?",
                    compare_with="multilateral",
                    go_to=date(2016, 11, 30),
                    view="single",
                ),
            ),
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
            key_dates=(
                (date(2016, 2, 27), "Cessation"),
                (date(2016, 5, 31), "May: violence back"),
                (date(2016, 9, 12), "Sept arrangement"),
            ),
            lesson=(
                LessonStep(
                    "The cessation of hostilities",
                    "27 February 2016. Who can stop whom from shooting, and who is left out "
                    "(ISIL, Nusra)?",
                    go_to=date(2016, 3, 5),
                ),
                LessonStep(
                    "How long it holds",
                    "Compare the bands: in how many seeds is a ceasefire still in force in May "
                    "under a joint task force, and under uniform rules?",
                    go_to=date(2016, 6, 30),
                ),
                LessonStep(
                    "One possible history",
                    "Side by side with uniform rules: read 'This week' — what breaks the "
                    "ceasefire in each run?",
                    compare_with="multilateral",
                    go_to=date(2016, 5, 31),
                    view="single",
                ),
            ),
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
            key_dates=(
                (date(2013, 9, 14), "CW framework"),
                (date(2016, 2, 27), "Cessation"),
                (date(2017, 5, 4), "Astana zones"),
            ),
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
