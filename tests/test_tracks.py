"""The track plugin interface: every registered track meets the same contract, and a new track
is added through the registry alone (no edit of the model, the metrics or the scenario code)."""

import numpy as np
import pytest

from sim import run
from sim.errors import ScenarioError
from sim.metrics import weekly_columns
from sim.params import Param
from sim.plugins import EVENT_TYPES, HANDLERS, TRACKS, Handler, register_track, unregister
from sim.scenario import scenario_from_dict
from sim.structures import STRUCTURE
from sim.tracks import Track


class PrisonerTrack(Track):
    """A toy fourth track: detainee exchanges, released when the government complies."""

    name = "prisoners"
    params = {
        "release_rate": Param(
            0.2, "share/week", "Share of detainees released in a week of compliance", lo=0, hi=1
        ),
        "cost": Param(0.5, "", "Cost to the government of releasing detainees", lo=0, hi=5),
    }
    handles = {
        "prisoner_exchange": Handler("exchange", "prisoner exchange", {"structure": STRUCTURE})
    }
    columns = {
        "detainees": ("people", "Detainees held by the government"),
        "detainees_released": ("people/week", "Detainees released this week"),
    }
    flows = ("detainees_released",)

    def __init__(self, model):
        super().__init__(model)
        self.detainees = 10000.0
        self.released = 0.0

    def exchange(self, event) -> None:
        self.set_structure(event["structure"])

    def step(self) -> None:
        self.released = 0.0
        u = self.rng.random()
        if self.engaged:
            p = self.p
            comply = self.model.comply(
                self.government_pressure(), p["cost"], self.monitoring(), 0.0
            )
            if u < comply:
                self.released = p["release_rate"] * self.detainees
                self.detainees -= self.released

    def record(self) -> dict:
        return {"detainees": self.detainees, "detainees_released": self.released}


@pytest.fixture
def prisoners():
    register_track(PrisonerTrack)
    yield PrisonerTrack
    unregister(PrisonerTrack)
    assert "prisoners" not in TRACKS and "prisoner_exchange" not in EVENT_TYPES


def _scenario(events=(), **params):
    return scenario_from_dict(
        {
            "name": "toy",
            "start": "2016-01-04",
            "end": "2016-09-26",
            "events": [
                {"id": "access", "date": "2016-01-04", "type": "access_regime"},
                {"id": "cf", "date": "2016-02-27", "type": "ceasefire"},
                *events,
            ],
            "params": params,
        }
    )


EXCHANGE = {"id": "px", "date": "2016-03-07", "type": "prisoner_exchange"}


def test_a_fourth_track_runs_through_the_registry_alone(prisoners):
    assert list(TRACKS)[-1] == "prisoners"
    scenario = _scenario([EXCHANGE], prisoners={"release_rate": 0.3})
    assert scenario.data["params"]["prisoners"] == {"release_rate": 0.3, "cost": 0.5}
    assert scenario.data["tracks"]["prisoners"] == {"structure": "timeline"}
    res = run(scenario, seed=4)
    ts = res.timeseries
    assert {"detainees", "detainees_released"} <= set(ts.columns)
    before = ts[ts["date"] < "2016-03-07"]
    after = ts[ts["date"] >= "2016-03-07"]
    assert (before["detainees"] == 10000.0).all() and (before["detainees_released"] == 0).all()
    assert after["detainees_released"].sum() > 0  # the exchange was taken up by its handler
    assert ts["detainees"].iloc[-1] < 10000.0
    assert np.isclose(10000.0 - ts["detainees"].iloc[-1], ts["detainees_released"].sum())
    assert "detainees_released" in res.monthly.columns  # summed per month as a flow
    # a counterfactual on the new track's structure, as for the built-in ones
    none = run(scenario.with_overrides({"tracks.prisoners.structure": "none"}), seed=4)
    assert (none.timeseries["detainees"] == 10000.0).all()


def test_a_new_track_leaves_the_others_draws_untouched(prisoners):
    """The toy track draws from its own stream: without its decision, every other column is
    what it is without the track registered at all."""
    with_toy = run(_scenario(), seed=5).timeseries
    unregister(PrisonerTrack)
    without = run(_scenario(), seed=5).timeseries
    register_track(PrisonerTrack)
    assert with_toy.drop(columns=["detainees", "detainees_released"]).equals(without)


def test_a_new_tracks_inputs_are_validated(prisoners):
    with pytest.raises(ScenarioError, match="release_rate"):
        _scenario(prisoners={"release_rate": 2.0})
    with pytest.raises(ScenarioError, match="did you mean 'prisoner_exchange'"):
        _scenario([{**EXCHANGE, "type": "prisoner_exchang"}])


@pytest.mark.parametrize("name", list(TRACKS))
def test_every_track_meets_the_contract(name):
    """What every registered track must declare (the shared base test for a new track)."""
    cls = TRACKS[name]
    assert issubclass(cls, Track) and cls.name == name
    for key, param in cls.params.items():
        assert param.doc and param.source, f"{name}.{key} needs a doc and a source"
    for kind, handler in cls.handles.items():
        assert HANDLERS[kind] == (name, handler.method)
        assert EVENT_TYPES[kind][0] == name and handler.label
    assert set(cls.flows) <= set(cls.columns)
    assert set(cls.columns) <= set(weekly_columns())


def test_every_event_type_has_one_handler():
    assert set(HANDLERS) == set(EVENT_TYPES)
    run(_scenario(), seed=1)  # the model resolves every handler it is given
