"""The week in plain words: what the model did and why, read from its week_log and record.

`week_story(model)` narrates one run's week (e.g. "Russia pressed Damascus: it approved aid
for 14 of 21 places; Russia's leverage 0.42 -> 0.31"); `why_differ(a, b)` lists what differs
between two runs of the same seed this week, the causal chain first (who pressed whom, what was
approved, what got through), then the outcomes. Nothing here decides anything: it only reads
what the model logged (`week_log`) and recorded (its weekly data) this week and last.
"""

from __future__ import annotations

from sim.viz import adapter


def _rows(model) -> tuple[dict, dict]:
    """This week's and last week's records (last week empty at the start)."""
    dc = model.datacollector.model_vars
    now = {k: v[-1] for k, v in dc.items() if len(v)}
    prev = {k: v[-2] for k, v in dc.items() if len(v) > 1}
    return now, prev


def _people(x: float) -> str:
    x = float(x)
    if x >= 1e6:
        return f"{x / 1e6:.1f} million"
    if x >= 1e4:
        return f"{x / 1e3:,.0f},000"
    return f"{x:,.0f}"


def _change(name: str, now: dict, prev: dict, key: str) -> tuple[float, float] | None:
    if key not in now:
        return None
    a = float(prev.get(key, now[key]))
    return a, float(now[key])


def week_facts(model) -> dict:
    """The week's numbers the story is told from (also used to compare two runs)."""
    now, prev = _rows(model)
    log = getattr(model, "week_log", None) or []
    convoys = [e for e in log if e.get("kind") == "convoy"]
    delivered = [e for e in convoys if e.get("success") is not False]
    return {
        "date": adapter.current_date(model),
        "requested": float(now.get("aid_requested", 0) or 0),
        "approved": float(now.get("aid_approved", 0) or 0),
        "reached": float(now.get("aid_reached", 0) or 0),
        "besieged_reached": float(now.get("besieged_reached", 0) or 0),
        "places": len(convoys),
        "places_reached": len(delivered),
        "violations": sum(
            int(e.get("count", 1) or 0) for e in log if e.get("kind") == "violations"
        ),
        "strikes": sum(
            len(e.get("strike_areas") or []) for e in log if e.get("kind") == "violations"
        ),
        "attacks": sum(1 for e in log if e.get("kind") in ("chemical_attack", "chem_attack")),
        "ceasefire": bool(now.get("ceasefire_active", 0)),
        "leverage_russia": _change("Russia", now, prev, "leverage_russia"),
        "leverage_us": _change("US", now, prev, "leverage_us"),
        "trust": _change("trust", now, prev, "us_russia_trust"),
        "removed": _change("removed", now, prev, "cw_removed_frac"),
        "violence": float(now.get("violence", 0) or 0),
        "decisions": [
            adapter.EVENT_LABELS.get(e.get("type"), str(e.get("type")))
            for e in log
            if e.get("kind") == "event"
        ],
        "unilateral": [
            {"us": "the US", "russia": "Russia"}.get(str(e.get("power")), str(e.get("power")))
            for e in log
            if e.get("kind") == "unilateral_act"
        ],
    }


def week_story(model) -> list[str]:
    """One run's week as a few plain sentences, causes before effects."""
    f = week_facts(model)
    out = []
    for d in f["decisions"]:
        out.append(f"Decision taken this week: {d}.")
    for who in f["unilateral"]:
        out.append(f"{who[0].upper()}{who[1:]} acted alone this week.")
    lev = f["leverage_russia"]
    if lev and lev[1] < lev[0] - 0.01:
        out.append(
            f"Russia pressed Damascus: its leverage fell {lev[0]:.2f} -> {lev[1]:.2f} "
            "(leverage is spent when used)."
        )
    elif lev and lev[1] > lev[0] + 0.01:
        out.append(f"Russia's leverage over Damascus recovered: {lev[0]:.2f} -> {lev[1]:.2f}.")
    lev = f["leverage_us"]
    if lev and lev[1] < lev[0] - 0.01:
        out.append(
            f"The US pressed the opposition: its leverage fell {lev[0]:.2f} -> {lev[1]:.2f}."
        )
    if f["places"]:
        share = f["approved"] / f["requested"] if f["requested"] else 0.0
        out.append(
            f"The UN asked to send aid to {f['places']} places; Damascus approved "
            f"{100 * share:.0f}% of the people requested; convoys got through to "
            f"{f['places_reached']} of {f['places']} places ({_people(f['reached'])} people, "
            f"{_people(f['besieged_reached'])} of them besieged)."
        )
    if f["ceasefire"]:
        text = "A ceasefire is in force"
        if f["violations"]:
            text += f": {f['violations']} violations this week"
            if f["strikes"]:
                text += f", {f['strikes']} strikes on signatories' areas"
        out.append(text + ".")
    elif f["violations"]:
        out.append(f"Violations of earlier truces this week: {f['violations']}.")
    if f["attacks"]:
        out.append(f"Chemical attacks this week: {f['attacks']}.")
    rem = f["removed"]
    if rem and rem[1] > rem[0] + 1e-6:
        out.append(f"Chemical stockpile removed: {100 * rem[0]:.0f}% -> {100 * rem[1]:.0f}%.")
    tr = f["trust"]
    if tr and abs(tr[1] - tr[0]) >= 0.005:
        verb = "rose" if tr[1] > tr[0] else "fell"
        out.append(f"US-Russia trust {verb}: {tr[0]:.2f} -> {tr[1]:.2f}.")
    if not out:
        out.append("A quiet week: no decision, no convoy, no ceasefire in force.")
    return out


def why_differ(a, b, label_a: str = "A", label_b: str = "B") -> list[str]:
    """What differs between two runs of the same seed this week, causes first."""
    fa, fb = week_facts(a), week_facts(b)
    out = []
    la, lb = fa["leverage_russia"], fb["leverage_russia"]
    if la and lb and abs(la[1] - lb[1]) >= 0.01:
        out.append(
            f"Russia's leverage over Damascus: {la[1]:.2f} in {label_a}, {lb[1]:.2f} in {label_b}"
            f" (it is spent when Russia presses, and recovers when it does not)."
        )
    if fa["requested"] or fb["requested"]:
        sa = fa["approved"] / fa["requested"] if fa["requested"] else 0.0
        sb = fb["approved"] / fb["requested"] if fb["requested"] else 0.0
        if abs(sa - sb) >= 0.01:
            out.append(
                f"Damascus approved {100 * sa:.0f}% of the aid requested in {label_a}, "
                f"{100 * sb:.0f}% in {label_b}."
            )
    if abs(fa["besieged_reached"] - fb["besieged_reached"]) >= 1:
        out.append(
            f"Besieged people reached this week: {_people(fa['besieged_reached'])} in {label_a}, "
            f"{_people(fb['besieged_reached'])} in {label_b}."
        )
    if fa["ceasefire"] != fb["ceasefire"]:
        held = label_a if fa["ceasefire"] else label_b
        out.append(f"A ceasefire is in force only in {held}.")
    if fa["violations"] != fb["violations"]:
        out.append(
            f"Ceasefire violations: {fa['violations']} in {label_a}, "
            f"{fb['violations']} in {label_b}."
        )
    ra, rb = fa["removed"], fb["removed"]
    if ra and rb and abs(ra[1] - rb[1]) >= 0.005:
        out.append(
            f"Chemical stockpile removed: {100 * ra[1]:.0f}% in {label_a}, "
            f"{100 * rb[1]:.0f}% in {label_b}."
        )
    ta, tb = fa["trust"], fb["trust"]
    if ta and tb and abs(ta[1] - tb[1]) >= 0.01:
        out.append(f"US-Russia trust: {ta[1]:.2f} in {label_a}, {tb[1]:.2f} in {label_b}.")
    if not out:
        out.append("The two runs do not differ yet this week.")
    return out
