"""syriasim: an agent-based simulation of diplomacy in the Syrian conflict (2012-2017).

The public names below are imported on first use, so that `syriasim --help` and the other
light commands start without importing the model (mesa, numpy, pandas).
"""

from importlib import import_module, metadata

try:
    __version__ = metadata.version("syriasim")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

_LAZY = {
    "SyriaModel": "sim.model",
    "RunResult": "sim.runner",
    "run": "sim.runner",
    "Scenario": "sim.scenario",
    "load_scenario": "sim.scenario",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = ["Scenario", "SyriaModel", "RunResult", "load_scenario", "run", "__version__"]
