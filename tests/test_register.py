"""The assumption register: every parameter is quoted from a document, fitted, or assumed with a
plausible range and a reason; nothing cites the domain brief or a thesis chapter it lacks."""

from __future__ import annotations

import re

from sim.calibration.targets import default_targets_path, load_targets
from sim.docs import parameter_rows
from sim.params import Param
from sim.register import REGISTER, assumed_ranges, check_register, cite, provenance

# The thesis has chapters I-IV: cite it by one of those or by a figure, never by chapter 5.
THESIS_CITE = re.compile(r"thesis,? (Figure \d+|ch(apter|\.)? (I|II|III|IV)\b)", re.I)


def test_every_parameter_keeps_the_register_rules():
    assert check_register(parameter_rows()) == []


def test_register_rules_can_fail():
    rows = [("x.doc", Param(1.0, "1", "d", "UNSG")), ("x.ass", Param(2.0, "1", "d", "assumed"))]
    REGISTER["x.doc"] = cite("UNSG report, somewhere")  # no page, paragraph or box
    REGISTER["x.ass"] = cite("no range")
    try:
        problems = check_register(rows)
    finally:
        del REGISTER["x.doc"], REGISTER["x.ass"]
    assert any("must name a page" in p for p in problems)
    assert any("needs a plausible range" in p for p in problems)
    assert any("unknown parameter" not in p for p in problems)


def test_no_parameter_takes_its_value_from_the_thesis_or_the_brief():
    for key, p in parameter_rows():
        kind, entry = provenance(key, p)
        assert kind != "thesis", key
        assert "DOMAIN" not in entry.basis, key


def test_inline_provenance_is_read():
    kind, entry = provenance("k", Param(0.3, "1", "d", "assumed (range 0.1-0.6: a reason)"))
    assert kind == "assumed" and entry.plausible == (0.1, 0.6) and entry.basis == "a reason"
    kind, entry = provenance("k", Param(0.3, "1", "d", "UNSG (S/2016/60, para. 12)"))
    assert kind == "UNSG" and "para. 12" in entry.basis


def test_assumed_ranges_cover_the_defaults():
    rows = dict(parameter_rows())
    ranges = assumed_ranges(parameter_rows())
    assert "params.diplomacy.chaos" in ranges
    for key, (lo, hi) in ranges.items():
        assert lo <= rows[key].default <= hi, key


def test_targets_cite_the_record_not_the_brief_nor_missing_chapters():
    text = default_targets_path().read_text(encoding="utf-8")
    assert "DOMAIN" not in text
    for t in load_targets():
        for mention in re.finditer(r"thesis[^;\]]*", t.source, re.I):
            assert THESIS_CITE.match(mention.group(0)), (t.id, t.source)
