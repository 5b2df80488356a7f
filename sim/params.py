"""Every mechanism parameter of the model, with its unit, range, default and source.

This table is the single source of truth: scenario validation reads it, the resolved values of a
run are stored with the results, and `syriasim params --markdown` renders docs/PARAMETERS.md.
Each parameter's `source` is a document key of sim/register.py (the register quotes the document
and names the page, paragraph or box), "fitted" (tuned by `syriasim calibrate` to the record) or
"assumed" (the register gives a plausible range and the reason). The provenance may also be
written inline: "assumed (range LO-HI: reason)", "fitted (how)" or "DOC (locator)".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    default: Any
    unit: str
    doc: str
    source: str = "assumed"
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None

    @property
    def kind(self) -> type:
        return type(self.default)

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is bool:
            return "true or false"
        name = {int: "an integer", float: "a number", str: "a string"}[self.kind]
        if self.lo is not None and self.hi is not None:
            return f"{name} in [{self.lo}, {self.hi}]"
        if self.lo is not None:
            return f"{name} >= {self.lo}"
        return name


P = Param

# Mechanism parameters, under [params.<group>] in a scenario file.
MECHANISMS: dict[str, dict[str, Param]] = {
    "fighting": {
        "deaths_per_front": P(
            28.5,
            "deaths/week",
            "Conflict deaths per week on one front line of average population under offensive",
            "fitted (syriasim calibrate --until 2015-12-31: record 2012-15 only, 8 seeds, 35 trials, fitted within 15-70; plausible range 10-80)",
            0.0,
            1000.0,
        ),
        "capture_rate": P(
            0.122,
            "1/week",
            "Weekly probability that an offensive takes its target, at the logistic midpoint (even strength after bonuses)",
            "fitted (syriasim calibrate --until 2015-12-31: record 2012-15 only, 8 seeds, 35 trials, fitted within 0.03-0.3; plausible range 0.02-0.3)",
            0.0,
            1.0,
        ),
        "strength_slope": P(
            3.0,
            "1",
            "Steepness of the logistic advantage of the stronger side in a contest",
            "assumed",
            0.0,
            20.0,
        ),
        "city_defence": P(
            1.0,
            "1",
            "Extra defensive strength per tenfold population above 10,000 (cities are hard to take)",
            "assumed",
            0.0,
            5.0,
        ),
        "government_strength": P(
            0.9,
            "1",
            "Military strength of the government before outside intervention",
            "assumed",
            0.0,
            5.0,
        ),
        "isil_strength": P(1.5, "1", "Strength of ISIL when it emerges", "assumed", 0.0, 5.0),
        "kurdish_strength": P(
            0.9, "1", "Strength of the Kurdish forces (SDF)", "assumed", 0.0, 5.0
        ),
        "russian_air_boost": P(
            0.6,
            "1",
            "Relative increase of government strength from the Russian air campaign",
            "fitted",
            0.0,
            5.0,
        ),
        "air_campaign_violence": P(
            0.35,
            "1",
            "Relative increase of fighting intensity on government fronts during the Russian air campaign",
            "fitted",
            0.0,
            5.0,
        ),
        "coalition_attrition": P(
            0.008,
            "1/week",
            "Weekly relative loss of ISIL strength under the US-led coalition campaign",
            "assumed",
            0.0,
            0.2,
        ),
        "kurdish_support_boost": P(
            0.4,
            "1",
            "Relative increase of Kurdish strength with US coalition support",
            "assumed",
            0.0,
            5.0,
        ),
        "uprising_rate": P(
            0.078,
            "1/week",
            "Weekly hazard that a government-held area with an armed challenger present (the "
            "area table's `challenger`) rises and passes to it, before contagion",
            "fitted (syriasim calibrate --until 2015-12-31: record 2012-15 only, 8 seeds, 35 trials, fitted within 0.005-0.08; plausible range 0.005-0.1: most 2012 uprisings took the north and east within a year)",
            0.0,
            1.0,
        ),
        "uprising_contagion": P(
            3.0,
            "1",
            "Increase of the uprising hazard per share of the area's neighbours already held by "
            "the challenger",
            "assumed (range 0-10: the 2011-12 uprising spread town to town; no measured rate)",
            0.0,
            100.0,
        ),
        "siege_fighting_weeks": P(
            29.6,
            "front-weeks",
            "Fighting an encircled enclave must absorb (sum of its weekly mean front intensity) "
            "before it counts as besieged: a siege is made by encirclement plus fighting, so none "
            "exists at the start (most 2012-17 sieges began in 2013, months after the encirclement)",
            "fitted (syriasim calibrate --until 2015-12-31: record 2012-15 only, 8 seeds, 35 trials, fitted within 4-40; plausible range 2-30: one to several months of full offensive)",
            0.0,
            1000.0,
        ),
        "front_background": P(
            0.26,
            "1",
            "Intensity of fighting on a quiet front line, relative to an offensive (1)",
            "fitted (syriasim calibrate --until 2015-12-31: record 2012-15 only, 8 seeds, 35 trials, fitted within 0.1-0.6; plausible range 0.1-0.6: shelling and skirmishes on static fronts)",
            0.0,
            1.0,
        ),
        "offensives_per_strength": P(
            5.2,
            "offensives/week",
            "Offensives a side runs at once per unit of strength (with outside support)",
            "fitted (syriasim calibrate --until 2015-12-31: record 2012-15 only, 8 seeds, 35 trials, fitted within 1.5-8; plausible range 1-8: a handful of simultaneous major fronts per side)",
            0.0,
            50.0,
        ),
        "population_priority": P(
            0.5,
            "1",
            "Weight of a target's population (per tenfold above 10,000) in choosing offensives",
            "assumed (range 0-2: cities and their roads matter more than desert)",
            0.0,
            10.0,
        ),
        "offensive_spread": P(
            0.5,
            "1",
            "Scale of the seeded random spread (Gumbel) in choosing offensives",
            "assumed (range 0.1-2: commanders' choices are not perfectly predictable)",
            0.0,
            10.0,
        ),
        "isil_hold_strength": P(
            0.9,
            "1",
            "ISIL's strength below which it stops attacking and only holds (expand, then hold)",
            "assumed (range 0.5-1.5: between its 2013 strength and the government's)",
            0.0,
            5.0,
        ),
        "iran_ground_boost": P(
            0.3,
            "1",
            "Relative increase of government strength from Iranian and Hezbollah ground support",
            "assumed (range 0.1-0.6: decisive at al-Qusayr 2013 and Aleppo 2016, smaller than "
            "Russia's air campaign)",
            0.0,
            5.0,
        ),
        "turkish_ground_boost": P(
            0.8,
            "1",
            "Relative increase of opposition strength against ISIL in the governorate of a "
            "Turkish ground operation (Euphrates Shield)",
            "assumed (range 0.4-1.5: Turkish armour and air support took Jarabulus in a day)",
            0.0,
            5.0,
        ),
        "deal_rate": P(
            1.0,
            "1/year^2",
            "Yearly hazard of a surrender or evacuation deal for a besieged area under offensive, "
            "per year of siege so far (per week: 1 - exp(-rate / 52 * years besieged))",
            "assumed (range 0.3-3: Darayya held about 4 years, Madaya/Zabadani about 2)",
            0.0,
            100.0,
        ),
        "evacuation_share": P(
            0.3,
            "share",
            "Share of a surrendering area's people evacuated to the rear of their own side",
            "assumed (range 0.1-0.6: Darayya about 100% of 8,000, eastern Aleppo about 35,000 "
            "of 275,000; UNSG reports 2016-17)",
            0.0,
            1.0,
        ),
        "siege_mortality": P(
            0.004,
            "1/year",
            "Deaths per person per year from a siege (hunger, lack of medical care)",
            "assumed (range 0.001-0.02: starvation deaths were reported from Madaya and Yarmouk; "
            "no rate per person is measured)",
            0.0,
            1.0,
        ),
        "flight_rate": P(
            0.01,
            "1/week",
            "Weekly hazard of flight per unit of mean front intensity around an area",
            "assumed (range 0.002-0.03: about 11 million displaced or refugees of 21 million by "
            "2016, UNHCR/OCHA)",
            0.0,
            1.0,
        ),
        "refugee_share": P(
            0.4,
            "share",
            "Share of people fleeing who leave the country (the rest are internally displaced)",
            "assumed (range 0.3-0.5: about 4.8 million refugees and 6.3 million IDPs in 2016, "
            "UNHCR/OCHA)",
            0.0,
            1.0,
        ),
        "flight_safety": P(
            3.0,
            "1",
            "How strongly displaced people avoid neighbours with fighting (exp(-x * intensity))",
            "assumed (range 0-10: people fled towards calmer areas; no measured preference)",
            0.0,
            100.0,
        ),
        "encircled_defence": P(
            1.61,
            "1",
            "Extra defensive strength of an encircled enclave's defenders (no way out, dense "
            "urban terrain): such places mostly fell by deals, not by storm",
            "fitted (syriasim calibrate --until 2015-12-31: record 2012-15 only, 8 seeds, 35 trials, fitted within 0-2; plausible range 0-3: Darayya, Moadamiyeh, Madaya held for years against a stronger "
            "besieger; UNSG reports 2014-17)",
            0.0,
            10.0,
        ),
        "siege_attrition": P(
            0.05,
            "1/year",
            "Growth per year of besieged the attacker's advantage against a besieged area (starvation, isolation)",
            "fitted",
            0.0,
            10.0,
        ),
        "enclave_max_areas": P(
            4,
            "areas",
            "Largest connected group of areas without a border crossing that can be encircled",
            "assumed",
            1,
            1000,
        ),
        "enclave_max_people": P(
            500000,
            "people",
            "Most people an encircled enclave can hold and still be sealed: larger places keep "
            "supply lines open (the largest 2012-17 sieges, eastern Aleppo and Eastern Ghouta, held "
            "about 250,000-400,000; western Aleppo, 1.5 million, was cut off only for days)",
            "UNSG",
            0,
            100000000,
        ),
        "isil_split_threshold": P(
            0.4,
            "share",
            "Areas whose share of radical fighters is at least this defect to ISIL when it emerges",
            "assumed",
            0.0,
            1.0,
        ),
    },
    "chemical": {
        "declared_t": P(
            1300.0,
            "tonnes",
            "Chemical agents and precursors declared under the framework",
            "OPCW",
            0.0,
            10000.0,
        ),
        "undeclared_share": P(
            0.05,
            "share of declared",
            "Undeclared stock kept back (not removed, enables later sarin use)",
            "assumed",
            0.0,
            1.0,
        ),
        "sites": P(
            23,
            "sites",
            "Declared production and storage sites to verify before removal",
            "OPCW",
            1,
            1000,
        ),
        "inspection_rate": P(
            1.6,
            "sites/week",
            "Sites the OPCW-UN mission verifies per week at full security and cooperation",
            "fitted",
            0.0,
            100.0,
        ),
        "transport_rate_t": P(
            170.0,
            "tonnes/week",
            "Agent moved to the port per week on a fully secure route with full cooperation",
            "fitted",
            0.0,
            10000.0,
        ),
        "ship_load_t": P(
            120.0,
            "tonnes",
            "Staged tonnage that fills a ship leaving the port",
            "assumed",
            1.0,
            10000.0,
        ),
        "russian_escort": P(
            0.6,
            "share",
            "Share of route insecurity removed by Russia's security and transport",
            "assumed",
            0.0,
            1.0,
        ),
        "route_insecurity": P(
            0.5, "1", "Loss of transport per unit of fighting on the route", "fitted", 0.0, 10.0
        ),
        "cost": P(
            0.35,
            "1",
            "Government's cost of handing over its stockpile (loss of deterrent)",
            "fitted",
            0.0,
            5.0,
        ),
        "attack_rate": P(
            1.1588,
            "attacks/week",
            "Chemical attacks per week when the government is desperate and fully capable",
            "fitted",
            0.0,
            10.0,
        ),
        "chlorine_capability": P(
            0.45,
            "share",
            "Share of attack capability that needs no scheduled agent (chlorine)",
            "assumed",
            0.0,
            1.0,
        ),
        "threat_pressure": P(
            0.15,
            "1",
            "Pressure on Damascus from a credible US strike threat (scaled by deterrence; the same "
            "under every structure: after Ghouta, or after a strike)",
            "assumed",
            0.0,
            1.0,
        ),
        "strike_destruction": P(
            0.2,
            "share",
            "Share of delivery capacity a punitive strike destroys",
            "assumed",
            0.0,
            1.0,
        ),
        "capacity_recovery": P(
            0.02, "1/week", "Weekly recovery of destroyed delivery capacity", "assumed", 0.0, 1.0
        ),
        "deterrence_decay": P(
            0.03,
            "1/week",
            "Weekly decay of the deterrent effect of a threat or strike",
            "assumed",
            0.0,
            1.0,
        ),
    },
    "access": {
        "max_requests": P(
            21,
            "areas",
            "Places listed in one monthly UN inter-agency convoy plan",
            "UNSG",
            1,
            100000,
        ),
        "request_cap": P(
            100000,
            "people",
            "Most people the UN plan requests for one place in a month (plans list about 1 million people in 20 places)",
            "UNSG",
            1,
            10000000,
        ),
        "convoys_per_week": P(
            4, "convoys/week", "Cross-line convoys the UN can field per week", "assumed", 0, 1000
        ),
        "convoy_people": P(38394, "people", "People one convoy serves", "fitted", 1, 1000000),
        "approval_cost": P(
            0.7986, "1", "Government's cost of approving a request on paper", "fitted", 0.0, 5.0
        ),
        "facilitation_cost": P(
            1.3305,
            "1",
            "Government's cost of facilitation letters for a convoy to an area it besieges",
            "fitted",
            0.0,
            5.0,
        ),
        "siege_cost_factor": P(
            0.6,
            "1",
            "Extra cost when the area is besieged by the deciding party",
            "fitted",
            0.0,
            10.0,
        ),
        "convoy_insecurity": P(
            0.9692,
            "1",
            "Loss of convoy success per unit of fighting along the route (exp(-x * fighting))",
            "fitted",
            0.0,
            10.0,
        ),
        "checkpoint_cost": P(
            0.86, "1", "Local commander's cost of letting a convoy through", "fitted", 0.0, 5.0
        ),
        "medical_removal": P(
            0.5,
            "probability",
            "Chance medical items are removed from a convoy whose facilitation was forced",
            "assumed",
            0.0,
            1.0,
        ),
        "cross_border_coverage": P(
            0.15,
            "share/week",
            "Share of people in need in a border area reached per week by cross-border aid",
            "assumed",
            0.0,
            1.0,
        ),
        "airdrop_coverage": P(
            0.35,
            "share/week",
            "Share of people in an area besieged by ISIL reached per week by agreed airdrops",
            "assumed",
            0.0,
            1.0,
        ),
    },
    "ceasefire": {
        "signature_cost_government": P(
            0.2,
            "1",
            "Government's cost of signing (halting its offensives)",
            "fitted",
            0.0,
            5.0,
        ),
        "signature_cost_opposition": P(
            0.3,
            "1",
            "An opposition group's cost of signing, scaled by its radical ties",
            "fitted",
            0.0,
            5.0,
        ),
        "adherence_cost": P(
            0.35,
            "1",
            "Weekly cost of holding fire on a front line where the side could gain",
            "fitted",
            0.0,
            5.0,
        ),
        "suppression": P(
            0.9,
            "share",
            "Share of fighting removed on a front line where both sides hold fire",
            "fitted",
            0.0,
            1.0,
        ),
        "strike_rate": P(
            0.5,
            "strikes/week",
            "Strikes per week on excluded fighters in a signatory area fully intermixed with them",
            "fitted",
            0.0,
            20.0,
        ),
        "zone_protection": P(
            0.7,
            "share",
            "Share of collateral strikes avoided when geographic zones define where strikes are allowed",
            "assumed",
            0.0,
            1.0,
        ),
        "definitions_protection": P(
            0.6,
            "share",
            "Share of collateral strikes avoided when co-leads share definitions of terrorists",
            "assumed",
            0.0,
            1.0,
        ),
        "grievance_per_violation": P(
            0.1559,
            "1",
            "Grievance a party gains from a violation it attributes to the other side",
            "fitted",
            0.0,
            10.0,
        ),
        "grievance_decay": P(0.15, "1/week", "Weekly decay of grievance", "fitted", 0.0, 1.0),
        "collapse_level": P(
            0.85,
            "share",
            "Violence (4-week mean) relative to the pre-ceasefire level at which a ceasefire counts as collapsed",
            "assumed",
            0.0,
            2.0,
        ),
        "observer_effect": P(
            0.5, "1", "Monitoring a full mission of 300 observers adds", "assumed", 0.0, 1.0
        ),
        "observer_risk": P(
            0.0003,
            "1/death",
            "Risk to observers per conflict death in the week (a policy on observers_at_risk reads the accumulated risk; 1 = untenable)",
            "fitted",
            0.0,
            1.0,
        ),
        "relaunch_trust": P(
            0.35,
            "share",
            "US-Russia trust needed for the co-leads to relaunch a collapsed ceasefire",
            "assumed",
            0.0,
            1.0,
        ),
        "relaunch_delay_weeks": P(
            6, "weeks", "Weeks after a collapse before the co-leads can relaunch", "assumed", 0, 520
        ),
        "max_relaunches": P(
            1, "count", "Relaunches the co-leads attempt per ceasefire", "assumed", 0, 100
        ),
    },
    "dependence": {
        "secure_share": P(
            0.8,
            "share",
            "Government population share at which it needs no patron",
            "assumed",
            0.0,
            1.0,
        ),
        "desperate_share": P(
            0.55,
            "share",
            "Government population share at which it depends fully on its patron",
            "assumed",
            0.0,
            1.0,
        ),
        "air_support": P(
            0.3,
            "share",
            "Extra dependence of the government while it relies on its patron's air campaign",
            "assumed",
            0.0,
            1.0,
        ),
        "winning_discount": P(
            1.95,
            "1",
            "Dependence lost per unit of government momentum (x10 population share won over 12 weeks): a winning government needs its patron less",
            "fitted",
            0.0,
            10.0,
        ),
        "iran_dilution": P(
            0.2,
            "share",
            "Share of Russia's leverage ceiling lost to Iran's rival patronage",
            "assumed",
            0.0,
            1.0,
        ),
    },
    "trust": {
        "initial": P(0.35, "share", "US-Russia trust at the start", "assumed", 0.0, 1.0),
        "baseline": P(
            0.3, "share", "Level trust drifts back to without events", "assumed", 0.0, 1.0
        ),
        "drift": P(
            0.01, "1/week", "Weekly drift of trust towards its baseline", "assumed", 0.0, 1.0
        ),
        "success_gain": P(
            0.02,
            "1/week",
            "Trust gained per week of full joint success on a bilateral track",
            "fitted",
            0.0,
            1.0,
        ),
        "accusation_loss": P(
            0.01,
            "1/accusation",
            "Trust lost per misattributed ceasefire violation",
            "fitted",
            0.0,
            1.0,
        ),
        "unilateral_loss": P(
            0.15,
            "1/act",
            "Trust lost per unilateral act of one power (strike, forced access, intervention)",
            "fitted",
            0.0,
            1.0,
        ),
        "information_sharing": P(
            0.8,
            "share",
            "Information the co-leads share at full trust under a joint structure",
            "assumed",
            0.0,
            1.0,
        ),
        "escalation_per_act": P(
            0.25, "1/act", "Escalation from one unilateral act", "assumed", 0.0, 1.0
        ),
        "escalation_counter": P(
            0.5,
            "share",
            "Counter-move at full escalation: share of each patron's pressure withheld from its "
            "client while the powers are in a crisis (lower compliance); information shared falls "
            "by the same share",
            "assumed",
            0.0,
            1.0,
        ),
        "incident_rate": P(
            0.05,
            "1/week",
            "Weekly probability of an incident between the powers at full escalation (trust lost "
            "and escalation added as by half a unilateral act)",
            "assumed",
            0.0,
            1.0,
        ),
        "escalation_decay": P(0.02, "1/week", "Weekly decay of escalation", "assumed", 0.0, 1.0),
    },
    "diplomacy": {
        "uniform_pressure": P(
            0.15,
            "1",
            "Pressure of uniform multilateral obligations (no party's own leverage engaged)",
            "assumed",
            0.0,
            1.0,
        ),
        "multilateral_monitoring": P(
            0.15, "share", "Monitoring under multilateral arrangements (thin)", "assumed", 0.0, 1.0
        ),
        "chaos": P(
            0.25,
            "share",
            "Share of local outcomes (checkpoints, fire on the ground) decided by actors no patron controls",
            "assumed",
            0.0,
            1.0,
        ),
        "government_war_aims": P(
            0.8,
            "1",
            "Weight of the government's aim to recover every area in its decisions",
            "assumed",
            0.0,
            5.0,
        ),
    },
}

# Leverage rules: [rules.leverage], with their own parameter tables in sim/rules/leverage.py.
# Compliance rules: [rules.compliance], parameters in sim/rules/compliance.py.

ACTORS: dict[str, Param] = {
    "opposition_groups": P(
        25,
        "groups",
        "Opposition groups (heterogeneous in US alignment, strength, radical ties)",
        "assumed",
        1,
        5000,
    ),
    "iran": P(True, "flag", "Iran backs the government (dilutes Russia's leverage)", "Astana"),
    "turkey": P(
        True,
        "flag",
        "Turkey backs northern opposition groups (guarantor under the trilateral structure)",
        "Astana",
    ),
}

NETWORK: dict[str, Param] = {
    "source": P(
        "syria",
        "",
        "Territory: the shipped Syria network or a seeded synthetic one",
        "assumed",
        choices=("syria", "synthetic"),
    ),
    "areas": P(200, "areas", "Number of areas of a synthetic network", "assumed", 10, 200000),
}

TRACK_STRUCTURE = P(
    "timeline",
    "",
    "Structure of every event of this track: 'timeline' keeps each event's own structure",
    "assumed",
    choices=(
        "timeline",
        "bilateral",
        "multilateral",
        "unilateral_us",
        "unilateral_russia",
        "trilateral",
        "none",
    ),
)
