"""Golden trajectories: every shipped scenario's short seeded run matches its pinned CSV byte for
byte (regenerate with `python -m tests.golden.regen` only when behaviour is meant to change)."""

import pytest

from tests.golden import names, path_of, render


@pytest.mark.parametrize("name", names())
def test_trajectory_is_unchanged(name):
    path = path_of(name)
    assert path.is_file(), f"no golden trajectory for {name}: run python -m tests.golden.regen"
    expected = path.read_text()
    got = render(name)
    if got != expected:
        pairs = zip(expected.splitlines(), got.splitlines(), strict=False)
        line, (want, have) = next(
            ((i, p) for i, p in enumerate(pairs, 1) if p[0] != p[1]), (0, ("", ""))
        )
        pytest.fail(
            f"{name}: first difference at line {line}\n  golden: {want}\n  now:    {have}\n"
            "(if the change of behaviour is intended: python -m tests.golden.regen)"
        )
