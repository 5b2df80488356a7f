"""The assumption register: where every parameter's value comes from.

Each parameter's ``source`` (in ``sim/params.py`` and ``sim/rules/``) is one of three kinds:

- a **document** (a key of ``DOCUMENTS``): the register entry quotes the document and names the
  page, paragraph or box the number comes from;
- **fitted**: tuned by ``syriasim calibrate`` against the record targets; the entry says how;
- **assumed**: a modelling choice; the entry gives a plausible range and the reason for it.
  ``syriasim robustness`` and the sensitivity sweeps explore that range.

The thesis (a qualitative 2017 master's thesis with chapters I-IV) gives directions, not numbers:
no parameter takes its value from it. ``check_register`` states these rules in code; a test holds
every parameter to them, and ``syriasim params --markdown`` renders the register into
docs/PARAMETERS.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCUMENTS: dict[str, str] = {
    "OPCW": "OPCW Director-General reports and OPCW / OPCW-UN Joint Mission statements, 2013-14",
    "UNSG": "UN Secretary-General reports on resolutions 2139/2165/2191/2258/2332 (monthly)",
    "Astana": "Joint statements and memorandum of the Astana guarantors (Iran, Russia, Turkey)",
}
KINDS = ("fitted", "assumed", *DOCUMENTS)

#: A document citation must say where in the document the number is.
_LOCATOR = re.compile(
    r"\b(para(graph)?s?|p\.|pp\.|page|box|annex|section|preamble|statement of)\b", re.I
)


@dataclass(frozen=True)
class Provenance:
    """Where one parameter's value comes from (its kind is the parameter's ``source``)."""

    basis: str  # document kind: the citation; fitted: how; assumed: the reason
    plausible: tuple[float, float] | None = None  # assumed numbers: the range worth exploring


def cite(where: str) -> Provenance:
    return Provenance(where)


def fitted(how: str = "") -> Provenance:
    return Provenance(how or FITTED)


def assumed(lo: float | None, hi: float | None, why: str) -> Provenance:
    return Provenance(why, None if lo is None else (lo, hi))


FITTED = "`syriasim calibrate` (optuna TPE) on the record targets; best trial shipped"

_S2017_58 = "S/2017/58 (UNSG report covering December 2016)"

REGISTER: dict[str, Provenance] = {
    # --- settings --------------------------------------------------------------------------
    "network.source": assumed(
        None, None, "a switch between the shipped network and a synthetic one"
    ),
    "network.areas": assumed(50, 1000, "size of a synthetic teaching network; no empirical value"),
    "actors.opposition_groups": assumed(
        10,
        100,
        "an aggregation of the roughly 100 armed groups that signed the Feb 2016 cessation "
        "(UN and ISSG reporting); 25 keeps each group a few areas; fewer means coarser heterogeneity",
    ),
    "actors.iran": cite(
        "Astana: Memorandum on the creation of de-escalation areas, 4 May 2017, preamble "
        "(Iran a guarantor of the ceasefire alongside Russia, on the government's side)"
    ),
    "actors.turkey": cite(
        "Astana: Memorandum on the creation of de-escalation areas, 4 May 2017, preamble "
        "(Turkey a guarantor alongside Russia and Iran, backing northern opposition groups)"
    ),
    "tracks.<track>.structure": assumed(
        None, None, "a scenario choice (the counterfactual being asked), not an empirical value"
    ),
    # --- fighting --------------------------------------------------------------------------
    "params.fighting.strength_slope": assumed(
        1.0, 6.0, "steepness of a contest success function; 1-6 spans soft to sharp advantage"
    ),
    "params.fighting.city_defence": assumed(
        0.0, 2.0, "urban defence advantage; 0 = none, 2 = a large city nearly untakeable"
    ),
    "params.fighting.government_strength": assumed(
        0.6, 1.2, "relative strength before 2015; near parity with the opposition in 2012-14"
    ),
    "params.fighting.isil_strength": assumed(
        1.0, 2.5, "ISIL's rapid gains of 2014 imply a stronger-than-parity force"
    ),
    "params.fighting.kurdish_strength": assumed(
        0.6, 1.2, "the YPG/SDF held its areas but rarely advanced without coalition support"
    ),
    "params.fighting.russian_air_boost": fitted(),
    "params.fighting.air_campaign_violence": fitted(),
    "params.fighting.coalition_attrition": assumed(
        0.002, 0.02, "ISIL lost most territory over about 3 years of coalition campaign (2014-17)"
    ),
    "params.fighting.kurdish_support_boost": assumed(
        0.1, 1.0, "coalition air support made the SDF the main ground force against ISIL"
    ),
    "params.fighting.siege_attrition": fitted(),
    "params.fighting.enclave_max_areas": assumed(
        2, 8, "besieged enclaves of 2012-17 spanned one town to a district (Eastern Ghouta)"
    ),
    "params.fighting.enclave_max_people": cite(
        "UNSG: S/2016/962 (November 2016), Box 1 and the annexed list of besieged locations "
        "(eastern Aleppo about 275,000, Eastern Ghouta about 250,000: the largest sealed places)"
    ),
    "params.fighting.isil_split_threshold": assumed(
        0.2, 0.6, "share of radical fighters at which a locality went over to ISIL in 2013-14"
    ),
    # --- chemical weapons ------------------------------------------------------------------
    "params.chemical.declared_t": cite(
        "OPCW: Director-General's first monthly report on the elimination of the Syrian chemical "
        "weapons programme (October 2013), section on Syria's initial declaration: about 1,000 t "
        "of Category 1 and about 290 t of Category 2 chemicals"
    ),
    "params.chemical.undeclared_share": assumed(
        0.0,
        0.15,
        "the OPCW later found discrepancies in the declaration and sarin was used in 2017; "
        "the size of the undeclared stock is unknown",
    ),
    "params.chemical.sites": cite(
        "OPCW: statement of 31 October 2013 ('inspected 21 of the 23 sites declared by Syria, "
        "and 39 of the 41 facilities located at those sites')"
    ),
    "params.chemical.inspection_rate": fitted(),
    "params.chemical.transport_rate_t": fitted(),
    "params.chemical.ship_load_t": assumed(
        50.0, 300.0, "cargo per sailing from Latakia; 18 sailings moved about 1,300 t"
    ),
    "params.chemical.russian_escort": assumed(
        0.3,
        0.9,
        "Russia provided security and transport to Latakia; the share of route risk it removed "
        "is not measured anywhere",
    ),
    "params.chemical.route_insecurity": fitted(),
    "params.chemical.cost": fitted(),
    "params.chemical.attack_rate": fitted(),
    "params.chemical.chlorine_capability": assumed(
        0.2,
        0.7,
        "chlorine needs no scheduled agent; the OPCW Fact-Finding Mission confirmed its use in "
        "2014 (S/1191/2014) but no share of capability is measured",
    ),
    "params.chemical.threat_pressure": assumed(
        0.0,
        0.4,
        "the 2013 strike threat moved Damascus to join the CWC within weeks; how much of that was "
        "the threat rather than Russia's pressure is unknown",
    ),
    "params.chemical.strike_destruction": assumed(
        0.05,
        0.4,
        "Shayrat (59 missiles) hit aircraft and facilities; the airbase flew again within days",
    ),
    "params.chemical.capacity_recovery": assumed(
        0.005, 0.1, "weeks to a year to replace destroyed delivery means"
    ),
    "params.chemical.deterrence_decay": assumed(
        0.01, 0.1, "a threat's effect fades over months (Ghouta 2013 to chlorine use 2014)"
    ),
    # --- humanitarian access ---------------------------------------------------------------
    "params.access.max_requests": cite(
        f"UNSG: {_S2017_58}, section on inter-agency convoys: the December 2016 plan requested "
        "access to 21 locations (930,250 people, Box 1 point 3)"
    ),
    "params.access.request_cap": cite(
        f"UNSG: {_S2017_58}, Box 1 point 3: 930,250 people requested in one monthly plan "
        "(about 44,000 per location; the cap bounds the largest single request)"
    ),
    "params.access.convoys_per_week": assumed(
        1, 8, "the UN fielded a handful of inter-agency cross-line convoys per week at best (2016)"
    ),
    "params.access.convoy_people": fitted(),
    "params.access.approval_cost": fitted(),
    "params.access.facilitation_cost": fitted(),
    "params.access.siege_cost_factor": fitted(),
    "params.access.convoy_insecurity": fitted(),
    "params.access.checkpoint_cost": fitted(),
    "params.access.medical_removal": assumed(
        0.2,
        0.8,
        "UNSG reports repeatedly record medical items removed from convoys, but give no rate",
    ),
    "params.access.cross_border_coverage": assumed(
        0.05,
        0.3,
        "cross-border aid (res. 2165) reached border areas regularly; weekly share not reported",
    ),
    "params.access.airdrop_coverage": assumed(
        0.2,
        0.5,
        "WFP airdrops supplied Deir ez-Zor's 93,500-110,000 people from April 2016; the weekly "
        "share reached is not reported as such",
    ),
    # --- ceasefire -------------------------------------------------------------------------
    "params.ceasefire.signature_cost_government": fitted(),
    "params.ceasefire.signature_cost_opposition": fitted(),
    "params.ceasefire.adherence_cost": fitted(),
    "params.ceasefire.suppression": fitted(),
    "params.ceasefire.strike_rate": fitted(),
    "params.ceasefire.zone_protection": assumed(
        0.3,
        0.9,
        "the thesis argues zones remove ambiguity about where strikes are allowed (a direction, "
        "no number); how many collateral strikes they avoid is unmeasured",
    ),
    "params.ceasefire.definitions_protection": assumed(
        0.3,
        0.9,
        "the thesis argues shared definitions of terrorists help (a direction, no number)",
    ),
    "params.ceasefire.grievance_per_violation": fitted(),
    "params.ceasefire.grievance_decay": fitted(),
    "params.ceasefire.collapse_level": assumed(
        0.6,
        1.0,
        "an operational definition: 'collapse is when violence returns to pre-ceasefire levels' "
        "; 0.85 allows for noise",
    ),
    "params.ceasefire.observer_effect": assumed(
        0.2, 0.8, "UNSMIS observers dampened violence where they stood (2012); size unmeasured"
    ),
    "params.ceasefire.observer_risk": fitted(),
    "params.ceasefire.relaunch_trust": assumed(
        0.2, 0.5, "co-leads relaunch only while on speaking terms; no measured threshold"
    ),
    "params.ceasefire.relaunch_delay_weeks": assumed(
        2, 12, "the May 2016 relaunch came about 8-10 weeks after the February cessation frayed"
    ),
    "params.ceasefire.max_relaunches": assumed(
        0, 3, "the 2016 cessation was relaunched once (May) before the September arrangement"
    ),
    # --- dependence ------------------------------------------------------------------------
    "params.dependence.secure_share": assumed(
        0.7, 0.9, "population share at which the government no longer needs outside help"
    ),
    "params.dependence.desperate_share": assumed(
        0.45,
        0.65,
        "the government held about 60% of the population in 2015, when it sought Russian help",
    ),
    "params.dependence.air_support": assumed(
        0.1, 0.5, "extra need of a patron while its air force fights for the client"
    ),
    "params.dependence.winning_discount": fitted(),
    "params.dependence.iran_dilution": assumed(
        0.0, 0.4, "Iran's rival patronage diluted Russia's leverage; no measured share"
    ),
    # --- trust -----------------------------------------------------------------------------
    "params.trust.initial": assumed(0.2, 0.5, "2012 US-Russia relations: strained, still talking"),
    "params.trust.baseline": assumed(0.2, 0.5, "level trust returns to without events"),
    "params.trust.drift": assumed(0.0, 0.05, "months to years for trust to revert"),
    "params.trust.success_gain": fitted(),
    "params.trust.accusation_loss": fitted(),
    "params.trust.unilateral_loss": fitted(),
    "params.trust.information_sharing": assumed(
        0.5, 1.0, "the co-leads shared some targeting and access information (2016); no measure"
    ),
    "params.trust.escalation_per_act": assumed(0.1, 0.5, "escalation added by one unilateral act"),
    "params.trust.escalation_counter": assumed(
        0.0, 1.0, "how far a patron stops pressing its client in a crisis with the other power"
    ),
    "params.trust.incident_rate": assumed(
        0.0, 0.2, "US-Russian incidents (deconfliction breaches, the 2016-17 near misses) were rare"
    ),
    "params.trust.escalation_decay": assumed(0.005, 0.05, "months for a crisis to cool"),
    # --- diplomacy -------------------------------------------------------------------------
    "params.diplomacy.uniform_pressure": assumed(
        0.0,
        0.3,
        "uniform obligations (Geneva Communique, UNSC resolutions) engage no patron's leverage; "
        "the thesis says they achieved little (a direction, no number)",
    ),
    "params.diplomacy.multilateral_monitoring": assumed(
        0.0, 0.3, "monitoring under multilateral arrangements was thin; no measure"
    ),
    "params.diplomacy.chaos": assumed(
        0.1,
        0.4,
        "the thesis attributes much failure to local parties no patron controls (a direction, "
        "no number)",
    ),
    "params.diplomacy.government_war_aims": assumed(
        0.4, 1.2, "the government aimed to 'recover every area'; weight in its decisions unmeasured"
    ),
    # --- rules -----------------------------------------------------------------------------
    "rules.compliance.params.bias (logistic)": fitted(),
    "rules.compliance.params.pressure_weight (logistic)": fitted(),
    "rules.compliance.params.monitoring_weight (logistic)": fitted(),
    "rules.compliance.params.cost_weight (logistic)": fitted(),
    "rules.compliance.params.aims_weight (logistic)": fitted(),
    "rules.compliance.params.threshold (threshold)": assumed(
        -0.5, 0.8, "alternative rule, not fitted: net incentive needed to comply"
    ),
    "rules.compliance.params.pressure_weight (threshold)": assumed(
        0.5, 2.0, "alternative rule, not fitted"
    ),
    "rules.compliance.params.monitoring_weight (threshold)": assumed(
        0.1, 1.5, "alternative rule, not fitted"
    ),
    "rules.compliance.params.cost_weight (threshold)": assumed(
        0.5, 2.0, "alternative rule, not fitted"
    ),
    "rules.compliance.params.aims_weight (threshold)": assumed(
        0.0, 1.0, "alternative rule, not fitted"
    ),
    "rules.compliance.params.noise (threshold)": assumed(
        0.0, 0.5, "alternative rule, not fitted: spread of thresholds across decisions"
    ),
    "rules.leverage.params.recovery (stock)": fitted(),
    "rules.leverage.params.spend (stock)": fitted(),
    "rules.leverage.params.dependence_weight (stock)": assumed(
        0.5,
        1.0,
        "Russia's leverage shrank as the government won and needed it less; how much "
        "of the ceiling depends on need is unmeasured",
    ),
    "rules.leverage.params.dependence_weight (fixed)": assumed(
        0.5, 1.0, "null-model rule, not fitted"
    ),
}


_INLINE = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$", re.S)
_RANGE = re.compile(r"^range\s*(-?[\d.eE+-]+?)\s*(?:-|–|to)\s*(-?[\d.eE+]+)\s*[:;,]?\s*(.*)$", re.S)


def provenance(key: str, p) -> tuple[str, Provenance | None]:
    """A parameter's source kind and provenance: from the register, or written inline in its
    ``source`` ("assumed (range 0.1-0.6: reason)", "fitted (how)", "UNSG (S/2016/60, para. 3)")."""
    m = _INLINE.match(p.source)
    if not m:
        return p.source, REGISTER.get(key)
    kind, inner = m.group(1), m.group(2).strip()
    if kind == "assumed":
        r = _RANGE.match(inner)
        if r:
            return kind, Provenance(r.group(3).strip(), (float(r.group(1)), float(r.group(2))))
    return kind, Provenance(inner)


def source_kind(p) -> str:
    m = _INLINE.match(p.source)
    return m.group(1) if m else p.source


def check_register(rows) -> list[str]:
    """Every way the parameter table breaks the register's rules (empty when it keeps them)."""
    problems: list[str] = []
    keys = set()
    for key, p in rows:
        kind, entry = provenance(key, p)
        if _INLINE.match(p.source):
            if key in REGISTER:
                problems.append(f"{key}: provenance both inline and in the register")
        else:
            keys.add(key)
        if entry is None:
            problems.append(f"{key}: no register entry")
            continue
        if kind not in KINDS:
            problems.append(f"{key}: source {kind!r} is not one of {', '.join(KINDS)}")
            continue
        if not entry.basis.strip():
            problems.append(f"{key}: empty basis")
        if "DOMAIN" in entry.basis:
            problems.append(f"{key}: the domain brief is not a source")
        if kind in DOCUMENTS and not _LOCATOR.search(entry.basis):
            problems.append(f"{key}: a {kind} citation must name a page, paragraph or box")
        numeric = p.kind in (int, float)
        if kind == "assumed" and numeric:
            if entry.plausible is None:
                problems.append(f"{key}: an assumed number needs a plausible range")
                continue
            lo, hi = entry.plausible
            if not lo <= p.default <= hi:
                problems.append(
                    f"{key}: default {p.default} outside its plausible range {lo}..{hi}"
                )
            if (p.lo is not None and lo < p.lo) or (p.hi is not None and hi > p.hi):
                problems.append(f"{key}: plausible range {lo}..{hi} exceeds the allowed range")
        elif entry.plausible is not None and kind != "assumed":
            problems.append(f"{key}: only assumed parameters carry a plausible range")
    problems += [f"{key}: register entry for an unknown parameter" for key in set(REGISTER) - keys]
    return problems


def assumed_ranges(rows) -> dict[str, tuple[float, float]]:
    """Plausible ranges of the assumed numeric parameters (the space robustness explores)."""
    out = {}
    for key, p in rows:
        kind, entry = provenance(key, p)
        if kind == "assumed" and entry is not None and entry.plausible:
            out[key] = entry.plausible
    return out


def _override_key(row_key: str) -> str:
    """'rules.leverage.params.spend (stock)' -> 'rules.leverage.params.spend'."""
    return row_key.split(" (")[0]


def explored_ranges(rows, rules: tuple[str, ...] = ("logistic", "stock")) -> dict[str, tuple]:
    """The assumed mechanism parameters a robustness analysis varies, as scenario override keys
    with their plausible ranges: every assumed ``params.*`` and the assumed parameters of the
    rules in use (settings such as the network size are not mechanisms)."""
    out = {}
    for key, bounds in assumed_ranges(rows).items():
        if key.startswith("params."):
            out[key] = bounds
        elif key.startswith("rules.") and key.endswith(tuple(f"({r})" for r in rules)):
            out[_override_key(key)] = bounds
    return out


def draw_assumed(n: int, seed: int, rows, keys=None) -> list[dict[str, float]]:
    """``n`` seeded Latin-hypercube draws of the assumed parameters over their plausible ranges
    (integers rounded); ``keys`` restricts the draw to some of them."""
    ranges = explored_ranges(rows)
    if keys is not None:
        ranges = {k: ranges[k] for k in keys}
    kinds = {_override_key(k): p.kind for k, p in rows}
    import numpy as np
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed)).random(n)
    draws = []
    for row in unit:
        draw = {}
        for (key, (lo, hi)), u in zip(ranges.items(), row, strict=True):
            value = lo + u * (hi - lo)
            draw[key] = int(round(value)) if kinds.get(key) is int else float(value)
        draws.append(draw)
    return draws
