"""The Syria diplomacy model: builds the world from a scenario and runs it week by week.

The model is phase-based: every week runs these phases in this order (docs/ARCHITECTURE.md).
Within a phase the policy tracks act one after the other, in registry order (chemical, access,
ceasefire, then any track registered later):
  1. decisions: the events dated this week, each dispatched to the part that handles it
     (sim.plugins: a track, the UN or the conflict layer)
  2. leverage: each patron recovers leverage, and spends it where a track engages it
  3. tracks' before_fighting (the ceasefire: who holds fire on which front line)
  4. fighting: ISIL's attrition, violence, changes of control, sieges; observers' exposure
  5. tracks' after_fighting (the ceasefire: collapse and relaunch)
  6. tracks' step (chemical weapons: removal, attacks; humanitarian access: convoys, aid)
  7. policies: conditional decisions triggered by this week's outcomes join next week's timeline
  8. relations: trust drifts back to its baseline, escalation decays
  9. records: the week's map entries (tracks' log), the weekly record (tracks' record), collection
Every draw comes from the run's seed, through one named stream per subsystem.
"""

from __future__ import annotations

import datetime as dt
import zlib

import mesa
import numpy as np

from sim.agents import (
    ExcludedGroup,
    Government,
    OppositionGroup,
    Patron,
    UnitedNations,
    make_opposition,
)
from sim.conflict import Conflict
from sim.metrics import weekly_columns, weekly_record
from sim.plugins import HANDLERS, TRACKS
from sim.policies import Policies
from sim.rules import COMPLIANCE_RULES, LEVERAGE_RULES
from sim.scenario import Scenario
from sim.territory import GOV, ISIL, KURD, OPP, load_syria, synthetic

MODEL_STREAMS = (
    "init",
    "fighting",
    "relations",
)  # the world's own streams; each track adds its own


def streams() -> tuple[str, ...]:
    """The names of a run's random streams: the model's, then one per registered track."""
    return (*MODEL_STREAMS, *TRACKS)


def random_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per subsystem, all derived from the run's seed and the stream's
    name (so adding a track or changing one track's structure leaves the other subsystems'
    draws untouched)."""
    return {
        name: np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))
        for name in streams()
    }


class SyriaModel(mesa.Model):
    def __init__(self, scenario: Scenario, seed: int | None = None):
        seed = scenario.data["seed"] if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = scenario
        self.seed = seed
        self.streams = random_streams(seed)
        data = scenario.data
        self.diplomacy = data["params"]["diplomacy"]
        self.trust_params = data["params"]["trust"]
        self.fighting_params = data["params"]["fighting"]
        rule = data["rules"]["compliance"]
        self.compliance_rule = (COMPLIANCE_RULES[rule["name"]].func, rule["params"])
        rule = data["rules"]["leverage"]
        self.leverage_rule = (LEVERAGE_RULES[rule["name"]].func, rule["params"])

        # Territory and actors.
        net = data["network"]
        if net["source"] == "syria":
            self.territory = load_syria()
        else:
            self.territory = synthetic(net["areas"], self.streams["init"])
        t = self.territory
        actors = data["actors"]
        fp = self.fighting_params
        self.government = Government(
            self, fp["government_strength"], self.diplomacy["government_war_aims"]
        )
        self.roster = make_opposition(self, actors["opposition_groups"], self.streams["init"])
        self.groups = [OppositionGroup(self, i) for i in range(self.roster.n)]
        self.isil = ExcludedGroup(
            self, "ISIL", fp["isil_strength"], active=bool((t.controller == ISIL).any())
        )
        self.kurds_base_strength = fp["kurdish_strength"]
        self.un = UnitedNations(self)
        self.us = Patron(self, "United States", self.roster.n)
        self.russia = Patron(self, "Russia", 1)
        self.turkey = Patron(self, "Turkey", self.roster.n, active=actors["turkey"])
        self.iran_present = actors["iran"]

        # Relations between the co-leads.
        self._trust = self.trust_params["initial"]
        self.escalation = 0.0
        self.incidents = 0
        self.channel_open = True

        self._route_tree = None
        self.conflict = Conflict(self)
        self.tracks = {name: cls(self) for name, cls in TRACKS.items()}
        # Who takes each dated event: a track, the UN or the conflict layer (sim.plugins).
        parts = {**self.tracks, "un": self.un, "conflict": self.conflict}
        self.handlers = {
            kind: getattr(parts[part], method) for kind, (part, method) in HANDLERS.items()
        }
        self.events = scenario.events()
        self.policies = Policies(scenario.data["policies"])
        self.n_steps = scenario.n_steps
        self.date = scenario.start
        self.week_log: list[dict] = []
        self.violence_history: list[float] = []
        self.gov_share_history: list[float] = [self.pop_share(GOV)]
        self.violence = 0.0
        self.columns = ("step", "date", *weekly_columns())
        self.datacollector = mesa.DataCollector(
            model_reporters={col: (lambda m, c=col: m.record[c]) for col in self.columns}
        )
        self.record: dict = {}

    # -- state read by the tracks -------------------------------------------------------------------
    def pop_share(self, controller: int) -> float:
        t = self.territory
        return float(t.population[t.controller == controller].sum() / t.population.sum())

    @property
    def government_dependence(self) -> float:
        """How much the government needs its patron: high when it is losing ground and while it
        relies on the patron's air power, lower while it is winning."""
        p = self.config.data["params"]["dependence"]
        span = max(p["secure_share"] - p["desperate_share"], 1e-9)
        losing = (p["secure_share"] - self.gov_share_history[-1]) / span
        air = p["air_support"] * (self.government.air_support > 0)
        winning = p["winning_discount"] * self.government_momentum
        return float(np.clip(losing + air - winning, 0.0, 1.0))

    def forget_routes(self) -> None:
        """Control changed: road routes through government territory are recomputed."""
        self._route_tree = None

    def government_route(self, target: int) -> np.ndarray:
        """Road route from the capital through government-held areas, crossing into `target`
        at the end (the shortest road route if government territory does not reach it).
        Cached until control changes."""
        if self._route_tree is None:
            self._route_tree = self.territory.bfs_within(self.territory.controller == GOV)
            self._routes = {}
        if target not in self._routes:
            self._routes[target] = self.territory.route(target, self._route_tree)
        return self._routes[target]

    @property
    def government_momentum(self) -> float:
        """Recent gains of the government (population share won over 12 weeks, x10, >= 0):
        a winning government has more to lose from halting its offensives."""
        h = self.gov_share_history
        return max(0.0, 10.0 * (h[-1] - h[max(0, len(h) - 13)]))

    @property
    def trust(self) -> float:
        """US-Russia trust, always within [0, 1]."""
        return self._trust

    @trust.setter
    def trust(self, value: float) -> None:
        self._trust = float(np.clip(value, 0.0, 1.0))

    def comply(self, pressure, cost, monitoring, aims):
        """Probability that a client complies, by the scenario's compliance rule."""
        rule, params = self.compliance_rule
        return rule(params, np.asarray(pressure, dtype=float), cost, monitoring, aims)

    def unilateral_act(self, power: str, weight: float = 1.0) -> None:
        """One power acting alone: mistrust and escalation risk."""
        tp = self.trust_params
        self.trust -= tp["unilateral_loss"] * weight
        self.escalation += tp["escalation_per_act"] * weight
        self.week_log.append({"kind": "unilateral_act", "power": power, "weight": weight})

    @property
    def crisis_discount(self) -> float:
        """Share of a patron's pressure (and of shared information) left in a crisis."""
        return 1.0 - self.trust_params["escalation_counter"] * self.escalation

    def incident(self) -> None:
        """Escalation risks incidents between the powers (one fixed draw a week)."""
        tp = self.trust_params
        if self.streams["relations"].random() < tp["incident_rate"] * self.escalation:
            self.incidents += 1
            self.trust -= 0.5 * tp["unilateral_loss"]
            self.escalation += 0.5 * tp["escalation_per_act"]
            self.week_log.append({"kind": "incident"})

    # -- the week --------------------------------------------------------------------------------
    def step(self) -> None:
        if self.steps > self.n_steps:
            self.running = False
            return
        week = self.steps - 1  # mesa increments `steps` before calling step()
        self.date = self.config.start + dt.timedelta(weeks=week)
        self.new_month = week == 0 or (self.date - dt.timedelta(weeks=1)).month != self.date.month
        self.week_log = []
        tracks = self.tracks.values()
        self.apply_events()
        self.apply_leverage()
        for track in tracks:
            track.before_fighting()
        self.fight()
        for track in tracks:
            track.after_fighting()
        for track in tracks:
            track.step()
        self.schedule(self.policies.check(self))
        self.incident()
        self.trust += self.trust_params["drift"] * (self.trust_params["baseline"] - self.trust)
        self.escalation = float(
            np.clip(self.escalation * (1 - self.trust_params["escalation_decay"]), 0.0, 1.0)
        )
        for track in tracks:
            self.week_log.extend(track.log())
        self.record = weekly_record(self, week)
        self.datacollector.collect(self)
        if self.steps >= self.n_steps:
            self.running = False

    def schedule(self, decisions: list[dict]) -> None:
        """Conditional decisions a policy took this week join the timeline for next week."""
        for ev in decisions:
            self.week_log.append({"kind": "policy", "id": ev["policy"], "type": ev["type"]})
            self.events.append(self.config.effective(ev))
        if decisions:
            self.events.sort(key=lambda e: (e["date"], e["id"]))

    def apply_events(self) -> None:
        """The events dated this week, each to the part that handles it."""
        week_end = self.date + dt.timedelta(days=7)
        while self.events and self.events[0]["date"] < week_end:
            ev = self.events.pop(0)
            self.week_log.append({"kind": "event", "type": ev["type"], "id": ev["id"]})
            self.handlers[ev["type"]](ev)

    def fight(self) -> None:
        """The week's fighting, and what it does to the UN's observers."""
        if self.isil.active:
            self.isil.weaken()
        self.violence = self.conflict.step()
        if self.conflict.changed:
            self.forget_routes()
        self.violence_history.append(self.violence)
        self.gov_share_history.append(self.pop_share(GOV))
        risk = self.config.data["params"]["ceasefire"]["observer_risk"]
        self.un.expose_observers(self.violence, risk)

    def apply_leverage(self) -> None:
        """Patrons recover leverage, and spend it where an engaged track asks them to press."""
        tracks = self.tracks.values()
        dilution = (
            self.config.data["params"]["dependence"]["iran_dilution"] if self.iran_present else 0.0
        )
        russia_demand = float(any(t.presses("russia") for t in tracks))
        self.russia.press(
            np.array([self.government_dependence * (1 - dilution)]), np.array([russia_demand])
        )
        us_demand = float(any(t.presses("us") for t in tracks))
        self.us.press(self.roster.us_alignment, np.full(self.roster.n, us_demand))
        tk_demand = float(any(t.presses("turkey") for t in tracks))
        self.turkey.press(self.roster.turkey_alignment, np.full(self.roster.n, tk_demand))


__all__ = ["SyriaModel", "random_streams", "GOV", "OPP", "ISIL", "KURD"]
