"""The model behind the browser app: one or two SyriaModels run in lock-step over a case study.

`SyriaApp` is a `mesa.Model` whose `__init__` keywords are exactly the app's controls, so Mesa's
SolaraViz turns them into widgets and rebuilds the model from them on Reset. It holds

* run A: the historical scenario with the structures, rule and parameters chosen, and
* run B (side-by-side mode): the same scenario, the *same seed*, and one structure changed on the
  case study's track — so any difference on screen is the structure's doing, not chance.

Both runs are fast-forwarded (silently) from the scenario's start to the case study's first week,
so the case starts from the state history left it in; `step()` advances both by one week and
stops (`running = False`) at the end of the case's window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import mesa
import pandas as pd

from sim.errors import UserError
from sim.plugins import TRACKS
from sim.viz import adapter, style
from sim.viz.cases import CaseStudy, get_case, scenario_path

OFF = "off"
TIMELINE = "timeline"


@dataclass(frozen=True)
class Knob:
    """A numeric control of the app, bound to one dotted scenario key."""

    name: str  # keyword of SyriaApp.__init__
    key: str  # dotted key in the scenario ({rule} is replaced by the compliance rule's name)
    label: str
    lo: float
    hi: float
    step: float
    multiplier: bool = False  # the control scales the resolved value instead of replacing it
    default: float | None = None  # None: the scenario's own value


# The key leverage and compliance parameters a teacher or modeler can turn in the app.
# Compliance weights are multipliers, so they mean the same thing for every compliance rule.
KNOBS: tuple[Knob, ...] = (
    Knob(
        "pressure_weight_x",
        "rules.compliance.params.pressure_weight",
        "Pressure weight (x)",
        0.0,
        3.0,
        0.1,
        True,
        1.0,
    ),
    Knob(
        "cost_weight_x",
        "rules.compliance.params.cost_weight",
        "Cost weight (x)",
        0.0,
        3.0,
        0.1,
        True,
        1.0,
    ),
    Knob(
        "monitoring_weight_x",
        "rules.compliance.params.monitoring_weight",
        "Monitoring weight (x)",
        0.0,
        3.0,
        0.1,
        True,
        1.0,
    ),
    Knob(
        "leverage_recovery",
        "rules.leverage.params.recovery",
        "Leverage recovery /wk",
        0.0,
        0.3,
        0.01,
    ),
    Knob(
        "leverage_spend",
        "rules.leverage.params.spend",
        "Leverage spent per use",
        0.0,
        0.5,
        0.01,
    ),
    Knob(
        "iran_dilution",
        "rules.leverage.params.iran_dilution",
        "Iran dilution",
        0.0,
        1.0,
        0.05,
    ),
    Knob("chaos", "params.diplomacy.chaos", "Chaos (local share)", 0.0, 1.0, 0.05),
    Knob(
        "initial_trust",
        "params.trust.initial",
        "Initial US-Russia trust",
        0.0,
        1.0,
        0.05,
    ),
)
KNOBS_BY_NAME = {k.name: k for k in KNOBS}

SEED_MAX = 999


@dataclass
class Run:
    """One SyriaModel and how to label it on screen."""

    structure: str  # colour key (timeline, bilateral, ...)
    label: str
    model: object  # sim.model.SyriaModel
    scenario: object  # sim.scenario.Scenario
    frames: list = field(default_factory=list)

    def timeseries(self, start: date | None = None) -> pd.DataFrame:
        df = adapter.timeseries(self.model)
        if start is not None and not df.empty:
            df = df[df["date"] >= pd.Timestamp(start)]
        return df


@lru_cache(maxsize=8)
def _base_scenario(path: str):
    from sim import load_scenario

    return load_scenario(path)


def base_scenario(case: CaseStudy):
    return _base_scenario(str(scenario_path(case)))


def structure_choices() -> list[str]:
    from sim.structures import STRUCTURES

    return [TIMELINE, *STRUCTURES]


def compliance_rule_choices() -> list[str]:
    from sim.rules import COMPLIANCE_RULES

    return list(COMPLIANCE_RULES)


def _structure_key(value: str) -> str:
    """Accept a structure key or its display label."""
    if value in style.STRUCTURE_LABELS:
        return value
    for key, label in style.STRUCTURE_LABELS.items():
        if value == label:
            return key
    raise UserError(f"unknown structure {value!r}; choose one of: {', '.join(structure_choices())}")


class SyriaApp(mesa.Model):
    """What the app shows: a case study run under chosen structures, optionally side by side."""

    def __init__(
        self,
        case_study: str = "access",
        structure_chemical: str = TIMELINE,
        structure_access: str = TIMELINE,
        structure_ceasefire: str = TIMELINE,
        compare_with: str = OFF,
        compliance_rule: str | None = None,
        seed: int = 7,
        scenario=None,  # Mesa's Reset passes its own (empty) experiment scenario: unused
        **knobs: float,
    ):
        seed = int(seed)
        super().__init__(rng=seed)
        self.seed = seed
        self.case = get_case(case_study)
        base = base_scenario(self.case)
        structures = {
            "chemical": _structure_key(structure_chemical),
            "access": _structure_key(structure_access),
            "ceasefire": _structure_key(structure_ceasefire),
        }
        overrides: dict[str, object] = {f"tracks.{t}.structure": s for t, s in structures.items()}
        rule = compliance_rule or adapter.compliance_rule_name(base)
        if rule not in compliance_rule_choices():
            raise UserError(
                f"unknown compliance rule {rule!r}; choose one of: "
                f"{', '.join(compliance_rule_choices())}"
            )
        overrides.update(adapter.compliance_rule_overrides(base, rule))
        flat = base.with_overrides(overrides).flat_params()
        for name, value in knobs.items():
            if name not in KNOBS_BY_NAME:
                raise UserError(f"unknown app control {name!r}; known: {', '.join(KNOBS_BY_NAME)}")
            knob = KNOBS_BY_NAME[name]
            if knob.key not in flat or value is None:
                continue  # the chosen rule has no such parameter
            overrides[knob.key] = float(flat[knob.key]) * float(value) if knob.multiplier else value
        self.structures = structures
        self.compliance_rule = rule
        self.overrides = overrides
        sc_a = base.with_overrides(overrides)
        track = self.case.track
        a_structure = structures[track] if track else TIMELINE
        self.runs: list[Run] = [
            Run(
                a_structure,
                _run_label("A", a_structure, track),
                adapter.new_model(sc_a, seed),
                sc_a,
            )
        ]
        self.compare_with = compare_with
        if compare_with and compare_with != OFF:
            b_structure = _structure_key(compare_with)
            tracks = [track] if track else list(structures)
            sc_b = base.with_overrides(
                {**overrides, **{f"tracks.{t}.structure": b_structure for t in tracks}}
            )
            self.runs.append(
                Run(
                    b_structure,
                    _run_label("B", b_structure, track),
                    adapter.new_model(sc_b, seed),
                    sc_b,
                )
            )
        for run in self.runs:
            adapter.fast_forward(run.model, self.case.start)
        self.running = not self._finished()

    # --- stepping ---------------------------------------------------------------------------
    def step(self) -> None:
        if self._finished():
            self.running = False
            return
        for run in self.runs:
            run.model.step()
        self.running = not self._finished()

    def jump_to(self, when: date) -> None:
        """Run every run forward to the week of `when` (within the case's window). Going back
        is done by the page (it rebuilds the model: runs are causal, they never rewind)."""
        when = min(max(when, self.case.start), self.case.end)
        for run in self.runs:
            adapter.fast_forward(run.model, when)
        self.running = not self._finished()

    def _finished(self) -> bool:
        a = self.runs[0].model
        current = adapter.current_date(a)
        return current >= self.case.end or not getattr(a, "running", True)

    # --- what the page shows ----------------------------------------------------------------
    @property
    def date(self) -> date:
        return adapter.current_date(self.runs[0].model)

    @property
    def side_by_side(self) -> bool:
        return len(self.runs) > 1

    def weeks_shown(self) -> int:
        return max(0, (self.date - self.case.start).days // 7)

    def series(self):
        from sim.viz.figures import Series

        return [Series(r.structure, r.timeseries(self.case.start), r.label) for r in self.runs]

    def single_frames(self) -> list[tuple[str, pd.DataFrame]]:
        """One possible history: per run its weekly frame and (for the monthly measures) its
        monthly frame, dated at the start of each month, from the case's start to now."""
        from sim.metrics import monthly
        from sim.viz.ensemble import MONTHLY

        out = []
        for r in self.runs:
            weekly = r.timeseries(self.case.start)
            out.append((r.structure, weekly))
            if weekly.empty:
                continue
            m = monthly(weekly.assign(date=weekly["date"].dt.strftime("%Y-%m-%d")))
            m = m.assign(date=pd.PeriodIndex(m["month"], freq="M").to_timestamp())
            out.append((r.structure, m[["date", *[c for c in MONTHLY if c in m.columns]]]))
        return out

    def ensemble_request(self):
        """(key, base scenario, structures) of the ensemble this app's settings call for: the
        case's track varied over the ensemble's structures, every other setting as chosen."""
        from sim.viz.ensemble import case_structures

        structures = case_structures(self.case, *[r.structure for r in self.runs])
        base = self.runs[0].scenario
        if self.case.track:
            base = base.with_overrides({f"tracks.{self.case.track}.structure": TIMELINE})
        return (self.case.key, base.hash, tuple(structures)), base, structures

    def map_panels(self):
        return [
            (f"{r.label} — week of {self.date:%d %b %Y}", adapter.map_data(r.model))
            for r in self.runs
        ]

    def week_summaries(self) -> list[str]:
        return [adapter.week_summary(r.model) for r in self.runs]

    def events(self) -> list[tuple[date, str]]:
        return adapter.timeline_events(self.runs[0].scenario)


def _run_label(tag: str, structure: str, track: str | None) -> str:
    where = f"{track} track" if track else "every track"
    if structure == TIMELINE:
        return f"{tag}: as it happened"
    return f"{tag}: {style.structure_label(structure)} on {where}"


def case_series(
    case: CaseStudy | str,
    structures: list[str],
    *,
    seed: int = 7,
    overrides: list[str] | dict | None = None,
):
    """Run a case study once per structure (same seed) and return one `Series` per run.

    `structures` apply to the case's track (to every track for the full history);
    "timeline" means as it happened. Used by `syriasim figure case` and the notebooks.
    """
    from sim import load_scenario
    from sim.viz.figures import Series

    case = get_case(case) if isinstance(case, str) else case
    base = load_scenario(scenario_path(case), overrides=overrides or None)
    tracks = [case.track] if case.track else list(TRACKS)
    out = []
    for s in structures:
        key = _structure_key(s)
        sc = base.with_overrides({f"tracks.{t}.structure": key for t in tracks})
        model = adapter.new_model(sc, seed)
        adapter.fast_forward(model, case.end)
        df = adapter.timeseries(model)
        df = df[df["date"] >= pd.Timestamp(case.start)]
        out.append(Series(key, df, style.structure_label(key)))
    return out
