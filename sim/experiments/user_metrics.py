"""User metric functions, registered from a module a sweep file names.

```toml
[sweep]
metrics_module = "mystudy.metrics"     # an importable module (on PYTHONPATH or installed)
```
```python
# mystudy/metrics.py
def access_2016_peak(result):          # result: sim.runner.RunResult of one run
    m = result.monthly
    return m.loc[m.month.str.startswith("2016"), "besieged_reached_frac"].max()

METRICS = {"access_2016_peak": access_2016_peak}
```

Each function gets the run's result (``timeseries`` weekly, ``monthly``, ``summary``,
``metrics``) and returns a number, stored as ``metric.<name>`` next to the built-in metrics.
Nothing from the sweep file is evaluated: the module is imported by name, as any Python module,
in the parent (to check it) and in every worker (local or Dask: install it there too). Its source
file's hash enters the design, so results of an edited module never share a folder.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect

from sim.errors import UserError


@functools.lru_cache(maxsize=8)
def functions(module: str) -> dict:
    """``{name: function}`` of the module's ``METRICS`` (imported once per process)."""
    mod = importlib.import_module(module)
    table = getattr(mod, "METRICS", None)
    if not isinstance(table, dict) or not table:
        raise ValueError(f"module {module!r} defines no METRICS = {{name: function}} table")
    for name, fn in table.items():
        if not isinstance(name, str) or not name.isidentifier() or not callable(fn):
            raise ValueError(f"METRICS of {module!r}: {name!r} must be an identifier -> function")
    return dict(table)


def check(module: str, where: str) -> str:
    """Import and check the module in this process; returns its source file's SHA-256."""
    key = "sweep.metrics_module"
    try:
        functions(module)
    except ModuleNotFoundError as exc:
        raise UserError(
            f"cannot import {module!r} ({exc}); put it on PYTHONPATH or install it",
            file=where,
            key=key,
        ) from None
    except ValueError as exc:
        raise UserError(str(exc), file=where, key=key) from None
    except Exception as exc:  # noqa: BLE001 - any error while importing user code
        msg = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise UserError(f"importing {module!r} failed: {msg}", file=where, key=key) from None
    path = inspect.getsourcefile(importlib.import_module(module))
    return hashlib.sha256(open(path, "rb").read()).hexdigest() if path else ""  # noqa: SIM115


def evaluate(module: str, result, builtin: dict) -> dict[str, object]:
    """The user metrics of one run; a name clashing with a built-in metric is an error."""
    out = {}
    for name, fn in functions(module).items():
        if name in builtin:
            raise ValueError(f"user metric {name!r} of {module!r} clashes with a built-in metric")
        out[name] = fn(result)
    return out
