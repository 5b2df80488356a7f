"""Golden trajectories: short seeded runs of every shipped scenario, pinned byte for byte.

Each shipped scenario is run over a window in which its family's track acts (the chemical
framework of 2013, the 2016 access task force, the 2016 ceasefires); the historical record is
run over its whole horizon, so that every event type is exercised once. The weekly records are
written at full float precision: a pure refactor leaves them identical, while any change of
behaviour, even in the last digit, shows. When a change is meant to alter behaviour, regenerate
them in the same commit and say why in its message:

    PYTHONPATH=. .venv/bin/python -m tests.golden.regen
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from sim import run
from sim.scenario import load_scenario, shipped_scenarios

HERE = Path(__file__).parent
SEED = 7
FULL_HORIZON = ("historical",)
# family (the scenario file's prefix) -> (first week, number of weeks)
WINDOWS = {
    "cw": (dt.date(2013, 8, 5), 40),  # framework of September 2013, removal in 2014
    "access": (dt.date(2016, 1, 4), 30),  # ISSG task force of February 2016, airdrops
    "ceasefire": (dt.date(2016, 1, 4), 40),  # February and September 2016 ceasefires
}
DEFAULT_WEEKS = 40  # any other scenario: its first 40 weeks (the 2012 access regime and ceasefire)


def names() -> list[str]:
    return [p.stem for p in shipped_scenarios()]


def path_of(name: str) -> Path:
    return HERE / f"{name}.csv"


def render(name: str) -> str:
    """The weekly records of scenario `name` over its golden window, as CSV text."""
    scenario = load_scenario(name)
    if name not in FULL_HORIZON:
        start, weeks = WINDOWS.get(name.split("_")[0], (scenario.start, DEFAULT_WEEKS))
        scenario = scenario.window(start, start + dt.timedelta(weeks=weeks - 1))
    buf = io.StringIO()
    run(scenario, seed=SEED).timeseries.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()
