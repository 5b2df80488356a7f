"""Experiments layer end to end on the real core model: the CLI, the local process pool, a real
Dask cluster (scheduler + 2 workers on 127.0.0.1), SIGKILL / Ctrl-C and resume, bad input.

Runs of the historical scenario take ~0.25 s each; every sweep here has at most a few dozen.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments import load_runs, load_timeseries
from sim.experiments.execute import run_one
from sim.experiments.sweep import plan_sweep

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
HIST = ROOT / "scenarios" / "historical.toml"
# where and how fast a run ran: the only columns that may differ between backends
VOLATILE = ["worker", "duration_s", "cpu_s", "session_id"]


def cli(*args, timeout=300, env=None, check=False, cwd=ROOT):
    """The CLI as a subprocess (``python -m`` puts ``cwd`` first on sys.path)."""
    e = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    p = subprocess.run(
        [PY, "-m", "sim", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=e,
    )
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def sweep_file(tmp_path, body: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(f'[sweep]\nscenario = "{HIST}"\n{body}')
    return p


LHS = """name = "lhs_small"
design = "lhs"
samples = {n}
replicates = {r}
seed = 99
timeseries = "monthly"
[parameters]
"rules.compliance.params.pressure_weight" = {{ min = 3.0, max = 11.0 }}
"params.diplomacy.chaos" = {{ min = 0.1, max = 0.4 }}
"params.access.convoys_per_week" = {{ min = 1, max = 6 }}
"""


def stable(df: pd.DataFrame) -> pd.DataFrame:
    return (
        df.drop(columns=[c for c in VOLATILE if c in df])
        .sort_values("run_id")
        .reset_index(drop=True)
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A small sweep run in-process (serial, one chunk per run): the reference rows."""
    tmp = tmp_path_factory.mktemp("ref")
    sf = sweep_file(tmp, LHS.format(n=5, r=2))
    out = tmp / "serial"
    from sim.experiments import run_sweep

    o = run_sweep(sf, out, jobs=1, chunk_size=3, progress=False, echo=lambda m: None)
    assert o.report.complete and o.report.failed == 0
    return sf, out


def test_local_pool_gives_the_same_rows_as_serial_however_chunked(reference, tmp_path):
    sf, ref_out = reference
    p = cli(
        "sweep",
        sf,
        "--out",
        tmp_path / "pool",
        "--jobs",
        2,
        "--chunk-size",
        1,
        "--no-progress",
        check=True,
    )
    assert "10 runs in" in p.stdout and "(0 failed)" in p.stdout
    ref, pool = load_runs(ref_out), load_runs(tmp_path / "pool")
    assert len(pool) == 10 and pool.run_id.is_unique
    assert pool.worker.nunique() == 2  # really ran on two processes
    pd.testing.assert_frame_equal(stable(ref), stable(pool))
    # every resolved scenario parameter is a column; the seed derives from the master seed
    from sim import load_scenario

    flat = load_scenario(HIST).flat_params()
    assert {f"param.{k}" for k in flat} <= set(pool.columns)
    assert pool["param.params.access.convoys_per_week"].map(type).eq(int).all()
    ts_ref = load_timeseries(ref_out).sort_values(["run_id", "month"]).reset_index(drop=True)
    ts_pool = (
        load_timeseries(tmp_path / "pool").sort_values(["run_id", "month"]).reset_index(drop=True)
    )
    assert len(ts_ref) == 10 * ts_ref.month.nunique()
    pd.testing.assert_frame_equal(ts_ref, ts_pool)


def test_rows_are_the_model_run_itself(reference):
    """A stored row = run(scenario.with_overrides(point), seed) recomputed from scratch."""
    sf, out = reference
    runs = load_runs(out)
    exp = plan_sweep(sf)
    for rid in (0, 7):
        row, *_ = run_one(exp.base, exp.design.task(rid))
        stored = runs[runs.run_id == rid].iloc[0]
        assert stored.seed == row["seed"]
        for k, v in row.items():
            if k.startswith("metric."):
                assert stored[k] == pytest.approx(v, nan_ok=True), k


def _log(path: Path):
    return open(path, "w")  # noqa: SIM115 - handed to a child process for its lifetime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    dask = str(Path(PY).with_name("dask"))
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            cwd=tmp_path,
            env=env,
            stdout=_log(logs / "scheduler.log"),
            stderr=subprocess.STDOUT,
        )
    ]
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    addr,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                    "--local-directory",
                    str(tmp_path / f"w{i}"),
                ],
                cwd=tmp_path,
                env=env,
                stdout=_log(logs / f"worker{i}.log"),
                stderr=subprocess.STDOUT,
            )
        )
    from distributed import Client

    with Client(addr, timeout="30s") as c:
        c.wait_for_workers(2, timeout=60)
    try:
        yield addr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_dask_cluster_gives_the_same_results_as_local(reference, dask_cluster, tmp_path):
    sf, ref_out = reference
    out = tmp_path / "dask"
    p = cli(
        "sweep",
        sf,
        "--out",
        out,
        "--scheduler",
        dask_cluster,
        "--chunk-size",
        2,
        "--no-progress",
        check=True,
    )
    assert "10 runs in" in p.stdout
    runs = load_runs(out)
    assert runs.worker.nunique() == 2  # both Dask workers took chunks
    pd.testing.assert_frame_equal(stable(load_runs(ref_out)), stable(runs))
    pd.testing.assert_frame_equal(
        load_timeseries(ref_out).sort_values(["run_id", "month"]).reset_index(drop=True),
        load_timeseries(out).sort_values(["run_id", "month"]).reset_index(drop=True),
    )
    prov = cli("summarize", out, check=True).stdout
    assert "backend dask x2" in prov and "complete" in prov


def test_unreachable_scheduler_exits_2_and_touches_nothing(reference, tmp_path):
    sf, _ = reference
    out = tmp_path / "never"
    t0 = time.time()
    p = cli(
        "sweep",
        sf,
        "--out",
        out,
        "--scheduler",
        f"tcp://127.0.0.1:{_free_port()}",
        env={"SYRIASIM_DASK_CONNECT_TIMEOUT": "2"},
    )
    assert p.returncode == 2, p.stderr
    err = p.stderr.strip()
    assert (
        len(err.splitlines()) == 1
        and "--scheduler" in err
        and "cannot reach a Dask scheduler" in err
    )
    assert not out.exists()
    assert time.time() - t0 < 60


def _wait_for_parts(out: Path, n: int, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sweep ended early: {proc.returncode}")
        if len(list((out / "runs").glob("part-*.parquet"))) >= n:
            return
        time.sleep(0.05)
    raise AssertionError("no progress")


def _children_of(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:  # pragma: no cover
        return []
    return [int(x) for x in out.split()]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_or_interrupted_sweep_resumes_without_duplicates_or_gaps(tmp_path, sig):
    sf = sweep_file(tmp_path, LHS.format(n=16, r=1))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        PY,
        "-m",
        "sim",
        "sweep",
        str(sf),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--chunk-size",
        "1",
        "--no-progress",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _wait_for_parts(out, 4, proc)
    workers = _children_of(proc.pid)
    if sig == signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-write or not
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    else:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "interrupted" in stdout and "run the same command again to resume" in stdout
        assert "Traceback" not in stderr
        time.sleep(0.5)
        assert not [
            w
            for w in workers
            if os.path.exists(f"/proc/{w}")
            and "zombie" not in Path(f"/proc/{w}/status").read_text().lower()
        ]
    partial = load_runs(out)
    assert 4 <= len(partial) < 16 and partial.run_id.is_unique
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert f"{len(partial)} were already stored" in p.stdout
    runs = load_runs(out)
    assert sorted(runs.run_id) == list(range(16)) and (runs.status == "ok").all()
    # no duplicate rows on disk either, and no leftovers
    raw = pd.concat([pd.read_parquet(f) for f in (out / "runs").glob("part-*.parquet")])
    assert raw.run_id.is_unique
    assert not list(out.rglob(".*.tmp-*"))
    ts = load_timeseries(out)
    assert ts.groupby("run_id").size().nunique() == 1 and ts.run_id.nunique() == 16
    # the rows are those of an uninterrupted run
    exp = plan_sweep(sf)
    row, *_ = run_one(exp.base, exp.design.task(15))
    assert runs.iloc[15]["metric.trust_final"] == pytest.approx(row["metric.trust_final"])
    sessions = [
        ln for ln in cli("summarize", out, check=True).stdout.splitlines() if "session " in ln
    ]
    assert len(sessions) == 2 and ": complete," in sessions[1]
    if sig == signal.SIGINT:
        assert ": interrupted," in sessions[0]
    else:  # a SIGKILLed session never closed its record
        assert "ended abruptly" in sessions[0]


def test_compare_cli_paired_tables_and_figures(tmp_path):
    out = tmp_path / "access"
    args = ("compare", HIST, "--track", "access", "--structures", "bilateral,multilateral,none")
    args += ("--replicates", 4, "--jobs", 2, "--out", out, "--no-progress")
    p = cli(*args, check=True)
    assert "Paired difference vs bilateral" in p.stdout
    for f in (
        "compare.md",
        "compare.csv",
        "differences.csv",
        "bands.csv",
        "fig_timeseries.png",
        "fig_effects.png",
        "provenance.json",
    ):
        assert (out / f).exists(), f
    table = pd.read_csv(out / "compare.csv")
    diffs = pd.read_csv(out / "differences.csv")
    assert set(table.structure) == {"bilateral", "multilateral", "none"}
    assert "access_reached_frac_mean_12m" in set(table.metric)  # the access track's goal metric
    assert (
        set(diffs.structure) == {"multilateral", "none"} and (diffs.baseline == "bilateral").all()
    )
    runs = load_runs(out)
    # common random numbers: replicate r has the same seed under every structure
    assert (runs.groupby("replicate").seed.nunique() == 1).all()
    w = runs.pivot(
        index="replicate",
        columns="param.tracks.access.structure",
        values="metric.access_reached_frac_mean_12m",
    )
    d = diffs[(diffs.structure == "none") & (diffs.metric == "access_reached_frac_mean_12m")].iloc[
        0
    ]
    assert d["diff"] == pytest.approx((w["none"] - w["bilateral"]).mean())
    assert d.ci_low <= d["diff"] <= d.ci_high
    t = table[
        (table.structure == "bilateral") & (table.metric == "access_reached_frac_mean_12m")
    ].iloc[0]
    assert t["mean"] == pytest.approx(w["bilateral"].mean()) and t.n == 4
    # the same command again: nothing to run, same tables
    again = cli(*args, check=True)
    assert "0 runs in" in again.stdout and "12 were already stored" in again.stdout
    assert pd.read_csv(out / "differences.csv").equals(diffs)
    # a different comparison into the same folder is refused
    bad = cli(
        "compare",
        HIST,
        "--track",
        "access",
        "--structures",
        "bilateral,none",
        "--replicates",
        4,
        "--out",
        out,
    )
    assert bad.returncode == 2 and "holds a different compare" in bad.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--track", "diplomacy", "--structures", "bilateral,none"], "unknown track 'diplomacy'"),
        (["--track", "access", "--structures", "bilateral,solo"], "unknown structure 'solo'"),
        (
            ["--track", "access", "--structures", "bilateral,none", "--baseline", "multilateral"],
            "--baseline",
        ),
    ],
)
def test_compare_bad_input_exit_2(tmp_path, args, needle):
    p = cli("compare", HIST, *args, "--replicates", 3, "--out", tmp_path / "x")
    assert p.returncode == 2 and needle in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_sweep_bad_input_exit_2(tmp_path):
    sf = sweep_file(
        tmp_path,
        'design = "lhs"\nsamples = 4\n[parameters]\n"params.trust.initil" = { min = 0.1, max = 0.5 }\n',
    )
    p = cli("sweep", sf, "--out", tmp_path / "x")
    assert p.returncode == 2
    err = p.stderr.strip()
    assert len(err.splitlines()) == 1 and str(sf) in err and "parameters.params.trust.initil" in err
    assert "params.trust.initial" in err  # the suggestion
    sf2 = sweep_file(
        tmp_path,
        'design = "sobol"\nsamples = 8\n[parameters]\n"params.trust.initial" = { min = 0.1, max = 0.5 }\n',
        "s2.toml",
    )
    p = cli("sweep", sf2, "--out", tmp_path / "x")
    assert p.returncode == 2 and "at least 2 parameters" in p.stderr
    sf3 = sweep_file(
        tmp_path,
        'design = "lhs"\nsamples = 4\n[parameters]\n"params.trust.initial" = { min = 0.5, max = 1.5 }\n',
        "s3.toml",
    )
    p = cli("sweep", sf3, "--out", tmp_path / "x")
    assert p.returncode == 2 and "rejected by the scenario" in p.stderr and "[0.0, 1.0]" in p.stderr
    assert not (tmp_path / "x").exists()


def test_sobol_sweep_sensitivity_and_summarize_cli(tmp_path):
    sf = sweep_file(
        tmp_path,
        'name = "tiny_sobol"\ndesign = "sobol"\nsamples = 4\nreplicates = 1\nseed = 3\n'
        'metrics = ["access_reached_frac_mean_12m", "trust_final"]\n[parameters]\n'
        '"rules.compliance.params.pressure_weight" = { min = 3.0, max = 11.0 }\n'
        '"params.trust.unilateral_loss" = { min = 0.05, max = 0.3 }\n',
    )
    out = tmp_path / "sobol"
    dry = cli("sweep", sf, "--out", out, "--dry-run", "--jobs", 2, check=True).stdout
    assert "16 points x 1 replicates = 16 runs" in dry and "estimated" in dry and not out.exists()
    cli("sweep", sf, "--out", out, "--jobs", 2, "--no-progress", check=True)
    p = cli("sensitivity", out, "--resamples", 100, check=True)
    assert "S1 [95% CI]" in p.stdout and "rules.compliance.params.pressure_weight" in p.stdout
    t = pd.read_csv(out / "sensitivity.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf", "S1_low", "ST_high"} <= set(t.columns)
    assert set(t.metric) == {"access_reached_frac_mean_12m", "trust_final"}
    assert (out / "fig_sensitivity.png").stat().st_size > 1000
    s = cli("summarize", out, "--csv", tmp_path / "runs.csv", check=True).stdout
    assert "16 of 16 (16 ok, 0 failed)" in s
    assert "historical.toml  sha256" in s and "sweep file:" in s and "git " in s
    assert len(pd.read_csv(tmp_path / "runs.csv")) == 16
    bad = cli("sensitivity", tmp_path / "nope")
    assert bad.returncode == 2


def test_shipped_sweep_files_plan_cleanly():
    sizes = {}
    for f in sorted((ROOT / "sweeps").glob("*.toml")):
        exp = plan_sweep(f)
        sizes[f.stem] = exp.design.n_runs
        assert exp.metrics is None or set(exp.metrics) <= set(_metric_names())
    assert sizes["compliance_sobol"] == 32 * 7 * 4
    assert {"compliance_sobol", "leverage_morris", "access_grid"} <= set(sizes)
    assert all(n <= 1000 for n in sizes.values())


def _metric_names():
    from sim import load_scenario, run

    if not hasattr(_metric_names, "cache"):
        _metric_names.cache = list(run(load_scenario(HIST), seed=1).metrics)
    return _metric_names.cache
