"""Per-run seeds derived from one master seed.

Each run's seed is a pure function of (master seed, stream index) through
``numpy.random.SeedSequence``: the ``i``-th child of ``SeedSequence(master)`` is
``SeedSequence(master, spawn_key=(i,))``. So a run's seed never depends on how the work was
split into chunks, which worker ran it, or whether the sweep was resumed.
"""

from __future__ import annotations

import numpy as np


def derive_seed(master: int, index: int) -> int:
    """The seed of stream ``index`` under ``master`` (a non-negative 63-bit int)."""
    ss = np.random.SeedSequence(int(master), spawn_key=(int(index),))
    hi, lo = (int(x) for x in ss.generate_state(2, dtype=np.uint32))
    return ((hi << 32) | lo) & 0x7FFF_FFFF_FFFF_FFFF


def derive_seeds(master: int, indices) -> list[int]:
    return [derive_seed(master, i) for i in indices]
