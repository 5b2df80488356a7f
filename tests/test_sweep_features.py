"""Sweep features (issue 13) on the stand-in model: parameter distributions, grid analysis
(response curves, paired differences per cell), user metric modules, replicate tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.errors import UserError
from sim.experiments import load_runs, run_sweep, sensitivity
from tests.test_experiments_design import fake_core, write_sweep  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fake_core")  # every test runs the stand-in model

QUIET = {"jobs": 1, "progress": False, "echo": lambda m: None}

DISTS = """
[sweep]
name = "dists"
scenario = "fake.toml"
design = "{design}"
samples = {n}
replicates = 1
seed = 3
[parameters]
x1 = {{ dist = "normal", mean = 0.5, sd = 2.0 }}
x2 = {{ dist = "triangular", min = -1.0, mode = 0.0, max = 3.0 }}
x3 = {{ dist = "truncnormal", mean = 0.0, sd = 1.0, min = -0.5, max = 2.0 }}
k = {{ dist = "triangular", min = 1, mode = 2, max = 6 }}
"""


def test_lhs_distributions_are_the_quantiles_of_the_unit_samples(tmp_path):
    out = tmp_path / "lhs"
    run_sweep(write_sweep(tmp_path, DISTS.format(design="lhs", n=400)), out, **QUIET)
    design = pd.read_parquet(out / "design.parquet")
    runs = load_runs(out).sort_values("point_id")
    u = design[["x.x1", "x.x2", "x.x3", "x.k"]]
    assert ((u >= 0) & (u <= 1)).all().all()  # SALib samples the unit cube
    u1 = np.clip(design["x.x1"], 1e-3, 1 - 1e-3)  # a normal's far tails are cut (NORMAL_TAIL)
    np.testing.assert_allclose(design.x1, stats.norm(0.5, 2.0).ppf(u1))
    np.testing.assert_allclose(design.x2, stats.triang(0.25, loc=-1, scale=4).ppf(design["x.x2"]))
    tn = stats.truncnorm(-0.5, 2.0, loc=0.0, scale=1.0)
    np.testing.assert_allclose(design.x3, tn.ppf(design["x.x3"]))
    assert design.x3.between(-0.5, 2.0).all()
    assert design.k.dtype.kind == "i" and design.k.between(1, 6).all()
    # the runs got these values, and the samples follow the distributions (LHS: stratified)
    np.testing.assert_allclose(runs["param.x1"].to_numpy(), design.x1.to_numpy())
    assert stats.kstest(design.x1, stats.norm(0.5, 2.0).cdf).pvalue > 0.05
    assert stats.kstest(design.x2, stats.triang(0.25, loc=-1, scale=4).cdf).pvalue > 0.05
    assert stats.kstest(design.x3, tn.cdf).pvalue > 0.05


def test_sobol_with_distributions_runs_and_analyses(tmp_path):
    out = tmp_path / "sobol"
    run_sweep(write_sweep(tmp_path, DISTS.format(design="sobol", n=16)), out, **QUIET)
    method, table, md, _ = sensitivity(out, ["y"], num_resamples=50, figure=False)
    assert method == "sobol" and set(table.parameter) == {"x1", "x2", "x3", "k"}
    assert "normal(" in __import__("sim.experiments.summarize", fromlist=["x"]).render(
        __import__("sim.experiments.summarize", fromlist=["x"]).summarize(out), out
    )


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ('{ dist = "cauchy", mean = 0, sd = 1 }', "unknown dist 'cauchy'"),
        ('{ dist = "normal", mean = 0 }', "missing sd"),
        ('{ dist = "normal", mean = 0, sd = 0 }', "sd must be > 0"),
        ('{ dist = "triangular", min = 0, mode = 5, max = 1 }', "mode=5 must lie in"),
        ('{ dist = "normal", mean = 0, sd = 1, max = 3 }', "'max' does not apply"),
        ('{ dist = "normal", mean = 0, sd = 40 }', "rejected by the scenario"),
    ],
)
def test_bad_distributions_name_file_and_key(tmp_path, spec, match):
    from sim.experiments.sweep import plan_sweep

    body = f'[sweep]\nscenario = "fake.toml"\ndesign = "lhs"\nsamples = 4\n[parameters]\nx1 = {spec}\nx2 = {{ min = 0, max = 1 }}\n'
    with pytest.raises(UserError, match=match) as e:
        plan_sweep(write_sweep(tmp_path, body))
    assert "parameters.x1" in str(e.value)


def test_grid_refuses_distributions(tmp_path):
    from sim.experiments.sweep import plan_sweep

    body = '[sweep]\nscenario = "fake.toml"\ndesign = "grid"\n[parameters]\nx1 = { dist = "normal", mean = 0, sd = 1 }\n'
    with pytest.raises(UserError, match="applies to sampled designs"):
        plan_sweep(write_sweep(tmp_path, body))


GRID = """
[sweep]
name = "grid"
scenario = "fake.toml"
design = "grid"
replicates = 6
seed = 8
seeds = "{seeds}"
metrics = ["noisy", "k"]
[parameters]
mode = {{ values = ["a", "c"] }}
x1 = {{ min = 0.0, max = 1.5, steps = 3 }}
"""


@pytest.mark.parametrize("seeds", ["common", "independent"])
def test_grid_analysis_differences_per_cell_by_hand(tmp_path, seeds):
    out = tmp_path / seeds
    run_sweep(write_sweep(tmp_path, GRID.format(seeds=seeds)), out, **QUIET)
    method, diffs, md, fig = sensitivity(out)
    assert method == "grid" and fig is not None and (out / "fig_response.png").exists()
    assert (out / "grid.md").exists() and (out / "grid_cells.csv").exists()
    runs = load_runs(out)
    for _, d in diffs[diffs.metric == "noisy"].iterrows():
        cell = runs[runs["param.x1"] == d["x1"]]
        a = cell[cell["param.mode"] == d["value"]].set_index("replicate")["metric.noisy"]
        b = cell[cell["param.mode"] == "a"].set_index("replicate")["metric.noisy"]
        if seeds == "common":  # paired by replicate: the shared seed noise cancels exactly
            x = (a - b).to_numpy()
            assert d["diff"] == pytest.approx(x.mean())
            assert d.n_pairs == 6 and d.sd_diff == pytest.approx(x.std(ddof=1), abs=1e-12)
        else:
            t = stats.ttest_ind(a, b, equal_var=False)
            assert d["diff"] == pytest.approx(a.mean() - b.mean())
            assert d.p_value == pytest.approx(t.pvalue)
            assert d.ci_low == pytest.approx(t.confidence_interval(0.95).low)
    # the stand-in's "mode" does not change y: with common seeds the difference is exactly 0
    if seeds == "common":
        assert np.allclose(diffs[diffs.metric == "noisy"]["diff"], 0.0)
    # a constant metric: the same in every pair, no infinite effect size
    k = diffs[diffs.metric == "k"]
    assert not np.isinf(k.d_z.astype(float)).any()
    cells = pd.read_csv(out / "grid_cells.csv")
    assert len(cells[cells.metric == "noisy"]) == 6 and (cells.n == 6).all()
    assert "## Replicates" in md  # the grid report says whether 6 replicates are enough
    from sim.experiments.summarize import render, summarize

    text = render(summarize(out), out)
    assert "replicates needed for 5%" in text and "noisy" in text.split("replicates:")[1]


def test_grid_contrast_must_be_varied(tmp_path):
    out = tmp_path / "g"
    run_sweep(write_sweep(tmp_path, GRID.format(seeds="common")), out, **QUIET)
    with pytest.raises(UserError, match="not varied"):
        sensitivity(out, contrast="x2")
    m, diffs, _, _ = sensitivity(out, contrast="x1", figure=False)
    assert set(diffs.value) == {0.75, 1.5} and set(diffs.baseline) == {0.0}
    assert not (out / "fig_response.png").exists()  # --no-figure leaves no old figure


def test_sensitivity_replicate_table_and_constant_note(tmp_path):
    body = DISTS.format(design="sobol", n=8).replace("replicates = 1", "replicates = 3")
    out = tmp_path / "rep"
    run_sweep(write_sweep(tmp_path, body), out, **QUIET)
    method, table, md, _ = sensitivity(
        out, ["seed_noise", "k", "noisy"], num_resamples=50, figure=False
    )
    assert "## Replicates" in md and "replicates needed" in md
    assert (table.noise_share.dropna() <= 1).all()
    # pure seed noise: the bootstrap intervals do not resolve anything
    assert "Convergence warnings" in md and "seed_noise" in md.split("Convergence warnings")[1]
    assert math.isclose(table[table.metric == "seed_noise"].noise_share.iloc[0], 1, abs_tol=0.5)


def test_sensitivity_no_figure_removes_the_old_one(tmp_path):
    out = tmp_path / "s"
    run_sweep(write_sweep(tmp_path, DISTS.format(design="sobol", n=8)), out, **QUIET)
    sensitivity(out, ["y"], num_resamples=20)
    assert (out / "fig_sensitivity.png").exists()
    sensitivity(out, ["y"], num_resamples=20, figure=False)
    assert not (out / "fig_sensitivity.png").exists()


def test_constant_metric_gets_the_constant_note(tmp_path):
    body = DISTS.format(design="sobol", n=8).replace(
        'k = { dist = "triangular", min = 1, mode = 2, max = 6 }\n', ""
    )
    body = body.replace('k = {{ dist = "triangular", min = 1, mode = 2, max = 6 }}\n', "")
    out = tmp_path / "c"
    run_sweep(write_sweep(tmp_path, body), out, **QUIET)
    _, table, md, _ = sensitivity(out, ["k"], num_resamples=20, figure=False)
    assert (table.note == "constant across the design").all()
    assert "constant across the design" in md


# ------------------------------------------------------------------------------ user metrics

USER = """
[sweep]
name = "user"
scenario = "fake.toml"
design = "lhs"
samples = 5
replicates = 2
seed = 4
metrics_module = "{module}"
[parameters]
x1 = {{ min = -1.0, max = 1.0 }}
x2 = {{ min = -1.0, max = 1.0 }}
"""


def _module(tmp_path, monkeypatch, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_user_metrics_from_a_named_module(tmp_path, monkeypatch):
    mod = _module(
        tmp_path,
        monkeypatch,
        "study_metrics_ok",
        "def y_squared(result):\n    return result.metrics['y'] ** 2\n\n"
        "def v_last(result):\n    return float(result.timeseries['v'].iloc[-1])\n\n"
        "METRICS = {'y_squared': y_squared, 'v_last': v_last}\n",
    )
    out = tmp_path / "u"
    run_sweep(write_sweep(tmp_path, USER.format(module=mod)), out, **QUIET)
    runs = load_runs(out)
    assert (runs.status == "ok").all()
    np.testing.assert_allclose(runs["metric.y_squared"], runs["metric.y"] ** 2)
    np.testing.assert_allclose(runs["metric.v_last"], runs["metric.y"] * 3)
    # the module's source hash is part of the design: an edited module is another sweep
    man = __import__("json").loads((out / "sweep.json").read_text())
    assert len(man["design"]["options"]["metrics_module_sha256"]) == 64


@pytest.mark.parametrize(
    ("name", "body", "match"),
    [
        ("study_metrics_missing_table", "x = 1\n", "defines no METRICS"),
        ("study_metrics_bad_name", "METRICS = {'a b': len}\n", "must be an identifier"),
        ("study_metrics_raises", "raise RuntimeError('boom')\n", "importing .* failed"),
        ("study_metrics_absent", None, "cannot import"),
    ],
)
def test_bad_metric_modules_are_one_line_errors(tmp_path, monkeypatch, name, body, match):
    from sim.experiments.sweep import plan_sweep

    if body is not None:
        _module(tmp_path, monkeypatch, name, body)
    with pytest.raises(UserError, match=match) as e:
        plan_sweep(write_sweep(tmp_path, USER.format(module=name)))
    assert "sweep.metrics_module" in str(e.value)


def test_user_metric_clashing_with_a_builtin_fails_the_runs(tmp_path, monkeypatch):
    from sim.experiments.execute import AllRunsFailed

    mod = _module(tmp_path, monkeypatch, "study_metrics_clash", "METRICS = {'y': len}\n")
    with pytest.raises(AllRunsFailed, match="clashes with a built-in metric"):
        run_sweep(write_sweep(tmp_path, USER.format(module=mod)), tmp_path / "c", **QUIET)
