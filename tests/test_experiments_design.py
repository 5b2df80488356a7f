"""Experiments layer on a stand-in model (fast, in-process): designs, seeds, sweep-file checks,
the results store, failure recording and the SALib analysis against known analytic indices.

The stand-in replaces only `sim.experiments.adapter.load_scenario` / `run_model` (the contract of
docs/API.md); everything else is the real code. Tests with the real core model, the process
pool, Dask and kill/resume are in tests/test_experiments.py.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import UserError
from sim.experiments import adapter
from sim.experiments.design import ParamSpec, build_design, compare_design
from sim.experiments.seeds import derive_seed
from sim.experiments.store import ResultsStore

# ------------------------------------------------------------------------------ stand-in model


@dataclass(frozen=True)
class FakeScenario:
    data: dict = field(
        default_factory=lambda: {
            "x1": 0.0,
            "x2": 0.0,
            "x3": 0.0,
            "k": 3,
            "mode": "a",
            "tracks": "timeline",
        }
    )
    name: str = "fake"
    path: Path | None = None
    sources: tuple = ()

    @property
    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()

    def flat_params(self) -> dict:
        return dict(self.data)

    def with_overrides(self, ov: dict) -> FakeScenario:
        d = dict(self.data)
        for k, v in ov.items():
            if k not in d:
                raise UserError("unknown key", key=k)
            if k.startswith("x") and not (-10 <= v <= 10):
                raise UserError("out of range: expected a number in [-10, 10]", key=k)
            d[k] = v
        return FakeScenario(d, self.name)


@dataclass
class FakeResult:
    metrics: dict
    timeseries: pd.DataFrame
    monthly: pd.DataFrame


def ishigami(x1, x2, x3, a=7.0, b=0.1):
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


def fake_run(sc, seed):
    p = sc.flat_params()
    if p["mode"] == "boom":
        raise RuntimeError("model exploded")
    rng = np.random.default_rng(seed)
    y = ishigami(p["x1"], p["x2"], p["x3"])
    noise = float(rng.normal())
    m = {"y": y, "noisy": y + 0.01 * noise, "seed_noise": noise, "k": float(p["k"])}
    ts = pd.DataFrame(
        {
            "step": range(4),
            "date": [f"2016-0{i + 1}-01" for i in range(4)],
            "v": [y * i for i in range(4)],
        }
    )
    mo = pd.DataFrame({"month": ["2016-01", "2016-02"], "v": [y, 2 * y]})
    return FakeResult(m, ts, mo)


@pytest.fixture
def fake_core(monkeypatch, tmp_path):
    scen = tmp_path / "fake.toml"
    scen.write_text('name = "fake"\n')
    monkeypatch.setattr(adapter, "load_scenario", lambda path, overrides=(): FakeScenario())
    monkeypatch.setattr(adapter, "run_model", fake_run)
    return scen


def write_sweep(tmp_path, body: str, name="s.toml") -> Path:
    p = tmp_path / name
    p.write_text(body)
    return p


SOBOL = """
[sweep]
name = "ishigami"
scenario = "fake.toml"
design = "sobol"
samples = {n}
replicates = 1
seed = 11
metrics = ["y"]

[parameters]
x1 = {{ min = -3.141592653589793, max = 3.141592653589793 }}
x2 = {{ min = -3.141592653589793, max = 3.141592653589793 }}
x3 = {{ min = -3.141592653589793, max = 3.141592653589793 }}
"""

# ------------------------------------------------------------------------------ seeds & designs


def test_seeds_are_pure_functions_of_master_and_index():
    a = [derive_seed(42, i) for i in range(100)]
    assert a == [derive_seed(42, i) for i in range(100)]
    assert len(set(a)) == 100
    assert all(0 <= s < 2**63 for s in a)
    assert derive_seed(43, 0) != derive_seed(42, 0)
    # the i-th child of SeedSequence(master).spawn(...) is the same stream
    child = np.random.SeedSequence(42).spawn(5)[3]
    hi, lo = child.generate_state(2, dtype=np.uint32)
    assert derive_seed(42, 3) == ((int(hi) << 32) | int(lo)) & 0x7FFF_FFFF_FFFF_FFFF


def test_common_seeds_pair_points_and_independent_seeds_do_not():
    d = compare_design("access", ["bilateral", "none"], replicates=3, master_seed=5)
    seeds = [[d.seed_of(p * 3 + r) for r in range(3)] for p in range(2)]
    assert seeds[0] == seeds[1]
    assert d.task(4)["overrides"] == {"tracks.access.structure": "none"}
    specs = [ParamSpec("x1", -1, 1), ParamSpec("x2", -1, 1)]
    ind = build_design("lhs", specs, samples=4, replicates=2, master_seed=5)
    assert len({ind.seed_of(r) for r in range(ind.n_runs)}) == ind.n_runs


@pytest.mark.parametrize(
    ("method", "samples", "expect"),
    [("lhs", 10, 10 * 2), ("sobol", 8, 8 * (3 + 2) * 2), ("morris", 5, 5 * (3 + 1) * 2)],
)
def test_design_sizes(method, samples, expect):
    specs = [ParamSpec("x1", -1, 1), ParamSpec("x2", 0, 5), ParamSpec("k", 1, 9, integer=True)]
    d = build_design(method, specs, samples=samples, replicates=2, master_seed=1)
    assert d.n_runs == expect
    assert d.X.shape == (d.n_points, 3)
    ks = {p["k"] for p in d.all_points()}
    assert all(isinstance(k, int) and 1 <= k <= 9 for k in ks)
    assert all(-1 <= p["x1"] <= 1 for p in d.all_points())
    # deterministic
    d2 = build_design(method, specs, samples=samples, replicates=2, master_seed=1)
    assert d.all_points() == d2.all_points()


def test_grid_is_the_cartesian_product():
    specs = [ParamSpec("x1", 0, 1, steps=3), ParamSpec("mode", values=("a", "b"))]
    d = build_design("grid", specs, samples=None, replicates=2, master_seed=0)
    assert d.n_points == 6 and d.n_runs == 12
    assert {(p["x1"], p["mode"]) for p in d.all_points()} == {
        (x, m) for x in (0.0, 0.5, 1.0) for m in "ab"
    }


@pytest.mark.parametrize(
    ("method", "specs", "samples", "match"),
    [
        ("sobol", [ParamSpec("x1", 0, 1)], 8, "at least 2 parameters"),
        ("morris", [ParamSpec("x1", 0, 1)], 4, "at least 2 parameters"),
        ("sobol", [ParamSpec("x1", 0, 1), ParamSpec("x2", 0, 1)], 10, "power of 2"),
        ("lhs", [ParamSpec("mode", values=("a", "b"))], 4, "numeric ranges"),
        ("grid", [ParamSpec("x1", 0, 1)], None, "steps"),
        (
            "grid",
            [ParamSpec("x1", 0, 1, steps=2000), ParamSpec("x2", 0, 1, steps=2000)],
            None,
            "max_runs",
        ),
    ],
)
def test_designs_the_parameters_cannot_support(method, specs, samples, match):
    with pytest.raises(UserError, match=match):
        build_design(method, specs, samples=samples, replicates=1, master_seed=0)


# ------------------------------------------------------------------------------ sweep files


@pytest.mark.parametrize(
    ("params", "key", "match"),
    [
        ("x9 = { min = 0, max = 1 }", "parameters.x9", "unknown parameter"),
        ("x1 = { min = 1, max = 1 }", "parameters.x1", "empty or inverted range"),
        ("x1 = { min = 2, max = 1 }", "parameters.x1", "empty or inverted range"),
        ("x1 = { min = 0, max = 99 }", "parameters.x1", "rejected by the scenario"),
        ("x1 = { min = 0, max = 1, stepz = 3 }", "parameters.x1", "unknown field"),
        ("x1 = { values = [] }", "parameters.x1", "empty list"),
        ("mode = { min = 0, max = 1 }", "parameters.mode", "not numeric"),
    ],
)
def test_bad_parameters_name_file_and_key(fake_core, tmp_path, params, key, match):
    from sim.experiments.sweep import plan_sweep

    p = write_sweep(
        tmp_path,
        f'[sweep]\nscenario = "fake.toml"\ndesign = "lhs"\nsamples = 4\n[parameters]\n{params}\nx2 = {{ min = 0, max = 1 }}\n',
    )
    with pytest.raises(UserError, match=match) as exc:
        plan_sweep(p)
    msg = str(exc.value)
    assert str(p) in msg and key in msg and "\n" not in msg


@pytest.mark.parametrize(
    ("sweep", "match"),
    [
        ('design = "lhs"\nsamples = 4\nreplicatez = 2', "sweep.replicatez"),
        ('design = "factorial"', "allowed: grid, lhs, sobol, morris"),
        ('design = "lhs"\nsamples = "many"', "sweep.samples"),
        ('design = "lhs"\nsamples = 4\ntimeseries = "daily"', "none, monthly, weekly"),
    ],
)
def test_bad_sweep_keys(fake_core, tmp_path, sweep, match):
    from sim.experiments.sweep import plan_sweep

    p = write_sweep(
        tmp_path,
        f'[sweep]\nscenario = "fake.toml"\n{sweep}\n[parameters]\nx1 = {{ min = 0, max = 1 }}\n',
    )
    with pytest.raises(UserError, match=match):
        plan_sweep(p)


def test_missing_scenario_file(tmp_path):
    from sim.experiments.sweep import plan_sweep

    p = write_sweep(
        tmp_path,
        '[sweep]\nscenario = "nowhere.toml"\ndesign = "lhs"\nsamples = 4\n[parameters]\nx1 = { min = 0, max = 1 }\n',
    )
    with pytest.raises(UserError, match="sweep.scenario"):
        plan_sweep(p)


# ------------------------------------------------------------------------------ runs, store, analysis


def test_serial_sweep_store_resume_and_sobol_indices_match_ishigami(fake_core, tmp_path):
    from sim.experiments import load_runs, run_sweep, sensitivity

    sweep = write_sweep(tmp_path, SOBOL.format(n=256))
    out = tmp_path / "out"
    # stop after a few chunks: simulate a crash by raising from the progress hook
    from sim.experiments import execute as ex

    real_execute = ex.execute
    calls = {"n": 0}

    def crashing_execute(*a, **kw):
        def hook(ran, rows):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt

        return real_execute(*a, **kw, on_chunk=hook)

    import sim.experiments.experiment as expmod

    expmod.execute = crashing_execute
    try:
        o1 = run_sweep(sweep, out, jobs=1, chunk_size=100, progress=False, echo=lambda m: None)
    finally:
        expmod.execute = real_execute
    assert o1.report.interrupted and o1.exit_code == 130
    part1 = load_runs(out)
    assert len(part1) == 300 and part1.run_id.tolist() == list(range(300))
    o2 = run_sweep(sweep, out, jobs=1, chunk_size=100, progress=False, echo=lambda m: None)
    assert o2.report.already_done == 300 and o2.report.complete
    runs = load_runs(out)
    assert runs.run_id.is_unique and sorted(runs.run_id) == list(range(256 * 5))
    assert (runs.status == "ok").all()
    # every resolved parameter and the seed are stored with the metrics
    assert {"param.x1", "param.x2", "param.x3", "param.k", "param.mode", "seed", "metric.y"} <= set(
        runs.columns
    )
    assert runs.seed.tolist() == [derive_seed(11, r) for r in runs.run_id]
    # analytic Ishigami indices (a=7, b=0.1)
    method, table, md, fig = sensitivity(out, num_resamples=200)
    assert method == "sobol" and fig is not None and fig.exists()
    t = table.set_index("parameter")
    truth_s1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    truth_st = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    for p in truth_s1:
        assert abs(t.loc[p, "S1"] - truth_s1[p]) < 0.1, (p, t.loc[p, "S1"])
        assert abs(t.loc[p, "ST"] - truth_st[p]) < 0.1, (p, t.loc[p, "ST"])
        assert t.loc[p, "S1_conf"] > 0
    assert "| y | x2 |" in md
    assert (out / "sensitivity.csv").exists() and (out / "sensitivity.md").exists()


def test_morris_ranks_the_influential_parameter_first(fake_core, tmp_path):
    from sim.experiments import run_sweep, sensitivity

    body = (
        SOBOL.format(n=4)
        .replace('design = "sobol"', 'design = "morris"\nlevels = 4')
        .replace("samples = 4", "samples = 30")
    )
    out = tmp_path / "m"
    run_sweep(write_sweep(tmp_path, body), out, jobs=1, progress=False, echo=lambda m: None)
    method, table, _, _ = sensitivity(out, num_resamples=100)
    assert method == "morris"
    t = table.set_index("parameter")
    # Ishigami: x2 has the largest mean absolute effect, x3 the smallest but non-zero sigma
    assert t.loc["x2", "mu_star"] > t.loc["x3", "mu_star"]
    assert t.loc["x1", "mu_star"] > t.loc["x3", "mu_star"]
    assert (t["mu_star_conf"] >= 0).all()


def test_lhs_sensitivity_uses_delta(fake_core, tmp_path):
    from sim.experiments import run_sweep, sensitivity

    body = (
        SOBOL.format(n=4)
        .replace('design = "sobol"', 'design = "lhs"')
        .replace("samples = 4", "samples = 400")
    )
    out = tmp_path / "lhs"
    run_sweep(write_sweep(tmp_path, body), out, jobs=1, progress=False, echo=lambda m: None)
    method, table, md, _ = sensitivity(out, num_resamples=10, figure=False)
    t = table.set_index("parameter")
    assert method == "lhs" and {"delta", "delta_conf", "S1", "S1_conf"} <= set(table.columns)
    # Ishigami: x2 carries the most first-order variance, x3 none
    assert t.loc["x2", "S1"] > t.loc["x3", "S1"]
    assert t.loc["x2", "delta"] > t.loc["x3", "delta"]
    assert "| n/a |" in md  # one replicate: no noise estimate


def test_failed_runs_are_recorded_and_others_go_on(fake_core, tmp_path):
    from sim.experiments import load_runs, run_sweep, summarize
    from sim.experiments.summarize import render

    body = '[sweep]\nscenario = "fake.toml"\ndesign = "grid"\nreplicates = 2\n[parameters]\nmode = ["a", "boom", "c"]\nx1 = { min = 0, max = 1, steps = 2 }\n'
    out = tmp_path / "g"
    o = run_sweep(write_sweep(tmp_path, body), out, jobs=1, progress=False, echo=lambda m: None)
    assert o.report.failed == 4 and o.report.ran == 12
    runs = load_runs(out)
    bad = runs[runs["param.mode"] == "boom"]
    assert (bad.status == "failed").all() and bad.error.str.contains(
        "RuntimeError: model exploded"
    ).all()
    assert bad["metric.y"].isna().all()
    good = runs[runs["param.mode"] != "boom"]
    assert (good.status == "ok").all() and good["metric.y"].notna().all()
    info = summarize(out)
    text = render(info, out)
    assert "4 failed" in text and "model exploded" in text


def test_fail_fast_then_retry_failed(fake_core, tmp_path, monkeypatch):
    from sim.experiments import load_runs, run_sweep

    body = '[sweep]\nscenario = "fake.toml"\ndesign = "grid"\nreplicates = 3\n[parameters]\nx1 = { min = 0, max = 1, steps = 10 }\n'
    sweep = write_sweep(tmp_path, body)
    out = tmp_path / "ff"

    def broken(sc, seed):
        raise ValueError("bad build")

    monkeypatch.setattr(adapter, "run_model", broken)
    with pytest.raises(UserError, match="the first 20 runs all failed.*ValueError: bad build"):
        run_sweep(sweep, out, jobs=1, chunk_size=5, progress=False, echo=lambda m: None)
    assert len(load_runs(out)) == 20  # stopped early, the failures are on record
    monkeypatch.setattr(adapter, "run_model", fake_run)
    o = run_sweep(sweep, out, jobs=1, progress=False, echo=lambda m: None)  # a plain resume
    assert o.report.ran == 10 and (load_runs(out).status == "failed").sum() == 20
    o = run_sweep(sweep, out, jobs=1, progress=False, retry_failed=True, echo=lambda m: None)
    assert o.report.ran == 20
    runs = load_runs(out)
    assert len(runs) == 30 and runs.run_id.is_unique and (runs.status == "ok").all()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["sessions"][0]["status"].startswith("failed: AllRunsFailed")


def test_out_folder_holding_another_sweep_is_refused_and_untouched(fake_core, tmp_path):
    from sim.experiments import run_sweep

    out = tmp_path / "o"
    run_sweep(
        write_sweep(tmp_path, SOBOL.format(n=4)), out, jobs=1, progress=False, echo=lambda m: None
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    other = write_sweep(tmp_path, SOBOL.format(n=8), name="other.toml")
    with pytest.raises(UserError, match="holds a different sweep"):
        run_sweep(other, out, jobs=1, progress=False, echo=lambda m: None)
    with pytest.raises(UserError, match="holds a different sweep"):
        run_sweep(other, out, jobs=1, progress=False, dry_run=True, echo=lambda m: None)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    assert before == after
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        run_sweep(other, stray, jobs=1, progress=False, echo=lambda m: None)
    assert (stray / "notes.txt").read_text() == "mine" and len(list(stray.iterdir())) == 1


def test_dry_run_reports_size_and_estimate_and_writes_nothing(fake_core, tmp_path):
    from sim.experiments import run_sweep

    lines = []
    out = tmp_path / "dry"
    run_sweep(
        write_sweep(tmp_path, SOBOL.format(n=16)), out, jobs=2, dry_run=True, echo=lines.append
    )
    text = "\n".join(lines)
    assert "16 points" not in text  # Saltelli: N*(D+2) points
    assert "80 points x 1 replicates = 80 runs" in text
    assert "estimated" in text and "2 local worker(s)" in text
    assert not out.exists()


def test_store_cleans_orphans_and_never_reads_partial_parts(tmp_path):
    store = ResultsStore.create_or_resume(
        tmp_path / "s", {"fingerprint": "f" * 64, "kind": "sweep", "name": "x"}
    )
    store.write_part(
        [{"run_id": 0, "status": "ok", "metric.y": 1.0}], pd.DataFrame({"run_id": [0], "v": [1.0]})
    )
    # leftovers of a kill: a temp file, and a series part whose runs part never got written
    (store.runs_dir / ".part-000000001-aaaa.parquet.tmp-1-xyz").write_bytes(b"PAR1 half written")
    store.ts_dir.joinpath("part-000000001-deadbeef.parquet").write_bytes(b"junk")
    store.release()
    store = ResultsStore.create_or_resume(
        tmp_path / "s", {"fingerprint": "f" * 64, "kind": "sweep", "name": "x"}
    )
    assert store.done_run_ids() == {0}
    assert not list(store.runs_dir.glob(".*tmp*"))
    assert len(store.ts_parts()) == 1
    assert store.read_timeseries().run_id.tolist() == [0]
    # a second writer is refused while the first holds the folder
    with pytest.raises(UserError, match="another sweep"):
        ResultsStore.create_or_resume(
            tmp_path / "s", {"fingerprint": "f" * 64, "kind": "sweep", "name": "x"}
        )
    store.release()


def test_compare_paired_differences_on_stand_in(fake_core, tmp_path, monkeypatch):
    """compare's statistics: paired difference = mean of per-seed differences, CI covers it."""
    from sim.experiments import compare

    monkeypatch.setattr(adapter, "tracks", lambda: ("access",))
    monkeypatch.setattr(adapter, "structures", lambda: ("a", "c"))

    def load(path, overrides=()):
        sc = FakeScenario()
        d = dict(sc.data)
        d["tracks.access.structure"] = "a"
        return FakeScenario(d)

    monkeypatch.setattr(adapter, "load_scenario", load)

    def run(sc, seed):
        s = sc.flat_params()["tracks.access.structure"]
        r = fake_run(sc, seed)
        r.metrics["y"] = r.metrics["seed_noise"] + (1.0 if s == "c" else 0.0)
        return r

    monkeypatch.setattr(adapter, "run_model", run)
    res = compare(
        "fake.toml",
        "access",
        ["a", "c"],
        replicates=12,
        out=tmp_path / "cmp",
        metrics=["y", "seed_noise"],
        jobs=1,
        progress=False,
        echo=lambda m: None,
    )
    d = res.differences.set_index("metric")
    # same seeds: the shared noise cancels exactly, the difference is the effect (1.0)
    assert d.loc["y", "diff"] == pytest.approx(1.0)
    assert d.loc["seed_noise", "diff"] == pytest.approx(0.0)
    t = res.table.set_index(["structure", "metric"])
    assert t.loc[("a", "y"), "ci_low"] < t.loc[("a", "y"), "mean"] < t.loc[("a", "y"), "ci_high"]
    assert t.loc[("a", "y"), "n"] == 12
    for name in ("compare.md", "compare.csv", "differences.csv", "fig_effects.png"):
        assert (tmp_path / "cmp" / name).exists(), name
    assert "Paired difference vs a" in (tmp_path / "cmp" / "compare.md").read_text()


# ------------------------------------------------------------------------------ property


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chunk=st.integers(1, 9), stop_after=st.integers(0, 6), chunk2=st.integers(1, 9))
def test_rows_do_not_depend_on_chunking_or_interruptions(
    fake_core, tmp_path_factory, chunk, stop_after, chunk2
):
    """However the runs are chunked and wherever the sweep is interrupted and resumed (with
    another chunking), the stored rows are those of one uninterrupted run."""
    import sim.experiments.experiment as expmod
    from sim.experiments import execute as ex
    from sim.experiments import load_runs, run_sweep

    tmp = tmp_path_factory.mktemp("prop")
    (tmp / "fake.toml").write_text('name = "fake"\n')
    sweep = write_sweep(tmp, SOBOL.format(n=4).replace("replicates = 1", "replicates = 2"))
    quiet = {"jobs": 1, "progress": False, "echo": lambda m: None}
    run_sweep(sweep, tmp / "ref", chunk_size=40, **quiet)
    real = ex.execute

    def interrupted(*a, **kw):
        def hook(ran, rows):
            if hook.n == stop_after:
                raise KeyboardInterrupt
            hook.n += 1

        hook.n = 0
        return real(*a, **kw, on_chunk=hook)

    expmod.execute = interrupted
    try:
        run_sweep(sweep, tmp / "split", chunk_size=chunk, **quiet)
    finally:
        expmod.execute = real
    run_sweep(sweep, tmp / "split", chunk_size=chunk2, **quiet)
    drop = ["worker", "duration_s", "cpu_s", "session_id"]  # where, how fast, which session
    ref = load_runs(tmp / "ref").drop(columns=drop)
    split = load_runs(tmp / "split").drop(columns=drop)
    assert len(split) == 40
    pd.testing.assert_frame_equal(ref, split)
