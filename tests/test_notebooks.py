"""The notebooks execute top to bottom (nbclient, the engine nbmake uses), each within 3 minutes.

Also runnable as `pytest --nbmake notebooks/`. Notebooks run with notebooks/ as the working
directory, as a user opening them in Jupyter would.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LIMIT_S = 180


@pytest.mark.parametrize(
    "name",
    ["01_teaching_counterfactuals", "02_scenario_sweeps", "03_tuning_compliance"],
)
def test_notebook_runs_top_to_bottom(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=LIMIT_S, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    t0 = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - t0
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert figures >= 2, "each notebook shows its results as figures"
    assert elapsed < LIMIT_S, f"{name} took {elapsed:.0f} s (limit {LIMIT_S} s)"
