"""syriasim: an agent-based simulation of diplomacy in the Syrian conflict (2012-2017)."""

__version__ = "0.1.0"

from sim.model import SyriaModel  # noqa: E402
from sim.runner import RunResult, run  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["Scenario", "SyriaModel", "RunResult", "load_scenario", "run", "__version__"]
