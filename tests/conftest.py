import pytest

from sim import load_scenario, run


@pytest.fixture(scope="session")
def historical():
    return load_scenario("scenarios/historical.toml")


@pytest.fixture(scope="session")
def hist_run(historical):
    return run(historical, seed=3)


def short_scenario(**extra):
    """A two-year scenario on the Syria network with one event of each track (for fast tests)."""
    from sim.scenario import scenario_from_dict

    raw = {
        "name": "short",
        "start": "2015-06-01",
        "end": "2017-05-31",
        "events": [
            {
                "id": "access",
                "date": "2015-06-01",
                "type": "access_regime",
                "structure": "bilateral",
            },
            {"id": "cw", "date": "2015-07-01", "type": "cw_framework", "structure": "bilateral"},
            {"id": "cf", "date": "2016-02-27", "type": "ceasefire", "structure": "bilateral"},
            {"id": "xb", "date": "2015-08-01", "type": "cross_border_aid"},
        ],
    }
    for key, value in extra.items():
        node = raw
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return scenario_from_dict(raw)
