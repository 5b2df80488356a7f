"""The research workflow (issue 13): comparisons of one dated decision or of scenario files on
common seeds, checked against a hand computation from the stored runs; provenance that refuses
to mix code versions; convergence help; the small statistics fixes.

Real-model runs here stop in May 2017 and use 3 replicates or fewer (a few seconds each).
"""

from __future__ import annotations

import math
import re
import shlex
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.experiments import load_runs, load_timeseries
from sim.experiments.convergence import index_warnings, noise_share
from sim.experiments.stats import half_width, holm, paired_difference, replicates_needed
from tests.test_experiments import HIST, ROOT, cli

DOCS = ROOT / "docs" / "EXPERIMENTS.md"
SHORT = ("--set", "end=2017-05-31", "--jobs", "1", "--no-progress")


def docs_command(marker: str) -> list[str]:
    """The shell command of docs/EXPERIMENTS.md right after the comment line holding `marker`."""
    text = DOCS.read_text()
    block = text[text.index(marker) :].split("\n", 1)[1]
    lines = []
    for ln in block.splitlines():
        lines.append(ln.rstrip("\\").strip())
        if not ln.rstrip().endswith("\\"):
            break
    return shlex.split(" ".join(lines))


def with_option(args: list[str], opt: str, value) -> list[str]:
    i = args.index(opt)
    return [*args[: i + 1], str(value), *args[i + 2 :]]


# ------------------------------------------------------------------------------ compare variants


@pytest.fixture(scope="module")
def task_force(tmp_path_factory):
    """The docs' "2016 task force vs its alternatives, decision only" command, made small."""
    out = tmp_path_factory.mktemp("tf") / "task_force"
    args = docs_command("# the 2016 task force vs its alternatives, decision only")
    assert args[:2] == ["syriasim", "compare"], args
    args = with_option(with_option(args[1:], "--replicates", 3), "--out", out)
    p = cli(*args, *SHORT, "--timeseries", "monthly", check=True)
    return out, args, p


def test_decision_compare_matches_hand_computation(task_force):
    out, args, p = task_force
    runs = load_runs(out)
    design = pd.read_parquet(out / "design.parquet")
    label = dict(zip(design.point_id, design.variant_label, strict=True))
    runs["variant"] = runs.point_id.map(label)
    labels = args[args.index("--structures") + 1].split(",")
    assert list(design.variant_label) == labels and labels[0] == "timeline"
    diffs = pd.read_csv(out / "differences.csv")
    table = pd.read_csv(out / "compare.csv")
    assert (runs.groupby("replicate").seed.nunique() == 1).all()  # common random numbers
    hand_p = []
    for _, d in diffs.iterrows():
        w = runs.pivot(index="replicate", columns="variant", values=f"metric.{d.metric}")
        x = (w[d.structure] - w["timeline"]).to_numpy()
        n = len(x)
        assert d.n_pairs == n == 3
        assert d["diff"] == pytest.approx(x.mean(), abs=1e-12)
        sd = x.std(ddof=1)
        if sd <= 1e-12 * max(1.0, abs(x.mean())):  # rounding noise: the same in every pair
            assert d.sd_diff == 0 and math.isnan(d.d_z)
        else:
            half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
            assert d.ci_low == pytest.approx(x.mean() - half, rel=1e-9, abs=1e-12)
            assert d.ci_high == pytest.approx(x.mean() + half, rel=1e-9, abs=1e-12)
            assert d.d_z == pytest.approx(x.mean() / sd, rel=1e-9)
            assert d.p_value == pytest.approx(
                stats.ttest_rel(w[d.structure], w["timeline"]).pvalue, rel=1e-9
            )
        hand_p.append(d.p_value)
    # Holm over every p of the table, by hand: sort, multiply by (m - rank), running maximum
    p = np.array(hand_p, dtype=float)
    fin = np.flatnonzero(np.isfinite(p))
    order = fin[np.argsort(p[fin], kind="stable")]
    adj, run = np.full(len(p), np.nan), 0.0
    for rank, i in enumerate(order):
        run = max(run, min(1.0, (len(fin) - rank) * p[i]))
        adj[i] = run
    np.testing.assert_allclose(diffs.p_holm.to_numpy(), adj, rtol=1e-12, equal_nan=True)
    t = table[(table.structure == "timeline") & (table.metric == "aid_reached_total")].iloc[0]
    assert t["mean"] == pytest.approx(
        runs[runs.variant == "timeline"]["metric.aid_reached_total"].mean()
    )
    md = (out / "compare.md").read_text()
    assert "## What each variant changes" in md
    assert (
        "decision `issg_access_task_force` (2016-02-12, access_regime) taken as multilateral" in md
    )
    assert "Holm-adjusted" in md and "## Convergence" in md
    for f in ("convergence.csv", "fig_effects.png", "fig_convergence.png", "fig_timeseries.png"):
        assert (out / f).exists(), f


def test_decision_compare_changes_nothing_before_the_decision(task_force):
    """Decision only: every variant's months before February 2016 are those of the timeline."""
    out, _, _ = task_force
    runs = load_runs(out)
    ts = load_timeseries(out).merge(runs[["run_id", "point_id", "replicate"]], on="run_id")
    cols = ["aid_reached", "besieged_reached", "violence", "us_russia_trust"]
    before = ts[ts.month < "2016-02"].set_index(["replicate", "month"]).sort_index()
    ref = before[before.point_id == 0][cols]
    for pid in sorted(set(before.point_id) - {0}):
        pd.testing.assert_frame_equal(before[before.point_id == pid][cols], ref)
    after = ts[ts.month >= "2016-03"]
    a0 = after[after.point_id == 0].aid_reached.to_numpy()
    a1 = after[after.point_id == 1].aid_reached.to_numpy()
    assert not np.array_equal(a0, a1)  # and the decision does change what follows


def test_scenario_files_compare_equal_the_decision_compare(task_force, tmp_path):
    """access_no_task_force.toml patches the same decision to multilateral: same seeds, same rows."""
    out_tf, _, _ = task_force
    out = tmp_path / "files"
    files = f"{HIST},{ROOT / 'scenarios' / 'access_no_task_force.toml'}"
    p = cli("compare", "--scenarios", files, "--replicates", 3, "--out", out, *SHORT, check=True)
    md = (out / "compare.md").read_text()
    assert "decision issg_access_task_force: structure 'bilateral' -> 'multilateral'" in md
    assert "Paired difference vs historical" in p.stdout
    files_runs = load_runs(out)
    dec = load_runs(out_tf)
    m = [c for c in dec.columns if c.startswith("metric.")]
    for pid_files, pid_dec in (
        (0, 0),
        (1, 1),
    ):  # historical = timeline, no task force = multilateral
        a = files_runs[files_runs.point_id == pid_files].sort_values("replicate")[m]
        b = dec[dec.point_id == pid_dec].sort_values("replicate")[m]
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--decision", "nope", "--structures", "bilateral,none"], "no dated decision 'nope'"),
        (["--decision", "cross_border", "--structures", "bilateral,none"], "has no structure"),
        (
            ["--decision", "issg_access_task_force", "--track", "chemical", "--structures", "a"],
            "belongs to the access track",
        ),
        (
            ["--decision", "issg_access_task_force", "--structures", "bilateral,none"]
            + ["--set", "tracks.access.structure=bilateral"],
            "overrides decision",
        ),
        (["--structures", "bilateral,none"], "name --track"),
        (["--track", "access", "--structures", "timeline,solo"], "unknown structure 'solo'"),
    ],
)
def test_compare_variant_errors_are_one_line(tmp_path, args, needle):
    out = tmp_path / "bad"
    p = cli("compare", HIST, *args, "--replicates", 2, "--out", out)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert not out.exists()


def test_scenarios_refuse_a_positional_scenario(tmp_path):
    p = cli("compare", HIST, "--scenarios", f"{HIST},{HIST}", "--out", tmp_path / "x")
    assert p.returncode == 2 and "--scenarios" in p.stderr


def test_help_prints_single_percent_signs():
    p = cli("compare", "--help", check=True)
    assert "95%" in p.stdout and "95%%" not in p.stdout


# ------------------------------------------------------------------------------ provenance


LHS = """[sweep]
name = "prov"
scenario = "{hist}"
design = "lhs"
samples = 4
replicates = 1
seed = 5
chunk_size = 1
[parameters]
"params.diplomacy.chaos" = {{ min = 0.1, max = 0.4 }}
"""


def test_resume_under_other_code_is_refused_then_new_session(tmp_path):
    """A partial sweep, the model's code edited, the same command: refused in one line, nothing
    written; --new-session sets the old runs aside and reruns everything under the new code."""
    code = tmp_path / "code"
    shutil.copytree(ROOT / "sim", code / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(code)}
    sweep = tmp_path / "s.toml"
    sweep.write_text(LHS.format(hist=HIST))
    out = tmp_path / "out"
    cli("sweep", sweep, "--out", out, "--jobs", 1, "--no-progress", env=env, cwd=code, check=True)
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) == 4
    parts[-1].unlink()  # what a kill leaves: complete parts only (atomic renames)
    first = load_runs(out)
    assert first.session_id.nunique() == 1 and first.code_sha256.nunique() == 1
    # change the code identity: any edit of the package
    model = code / "sim" / "model.py"
    model.write_text(model.read_text() + "\n# an edit\n")
    p = cli("sweep", sweep, "--out", out, "--jobs", 1, "--no-progress", env=env, cwd=code)
    assert p.returncode == 2, p.stdout + p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert "made by other code" in p.stderr and "--new-session" in p.stderr
    assert sorted((out / "runs").glob("part-*.parquet")) == parts[:-1]  # nothing written
    # explicitly asked: a new, separate session under the new code
    p = cli(
        "sweep",
        sweep,
        "--out",
        out,
        "--jobs",
        1,
        "--no-progress",
        "--new-session",
        env=env,
        cwd=code,
    )
    assert p.returncode == 0, p.stderr
    runs = load_runs(out)
    assert len(runs) == 4 and runs.session_id.nunique() == 1
    assert runs.code_sha256.iloc[0] != first.code_sha256.iloc[0]
    old = list((out / "superseded").glob("*/runs/part-*.parquet"))
    assert len(old) == 3
    s = cli("summarize", out, env=env, cwd=code, check=True).stdout
    assert "superseded" in s and "dirty" in s
    # the complete folder re-run under the original code: nothing to run, nothing mixed
    p = cli("sweep", sweep, "--out", out, "--jobs", 1, "--no-progress", check=True)
    assert "complete, made by other code" in p.stdout
    assert len(load_runs(out)) == 4


def test_provenance_reads_library_versions_from_metadata(task_force):
    import json

    out, _, _ = task_force
    prov = json.loads((out / "provenance.json").read_text())
    v = prov["versions"]
    assert v["SALib"] and v["mesa"] and v["numpy"]
    code = prov["code"]
    assert len(code["source_sha256"]) == 64 and "dirty" in code
    sessions = prov["sessions"]
    runs = load_runs(out)
    assert set(runs.session_id) == {sessions[-1]["id"]}
    assert sessions[-1]["code"]["source_sha256"].startswith(runs.code_sha256.iloc[0])


# ------------------------------------------------------------------------------ statistics


def test_holm_by_hand():
    adj = holm([0.01, 0.04, 0.03, math.nan])
    np.testing.assert_allclose(adj[:3], [0.03, 0.06, 0.06])
    assert math.isnan(adj[3])
    assert list(holm([0.5, 0.9])) == [1.0, 1.0]  # 2 x 0.5 = 1, then the running maximum
    assert list(holm([0.2, 0.01])) == [0.2, 0.02]


@pytest.mark.parametrize(("sd", "target"), [(1.0, 0.1), (3.0, 2.0), (0.5, 0.001)])
def test_replicates_needed_is_the_smallest_sufficient_count(sd, target):
    n = replicates_needed(sd, target)
    assert half_width(sd, n) <= target
    assert n == 2 or half_width(sd, n - 1) > target


def test_noise_share_never_exceeds_one():
    # the old formula (mean ddof=1 within variance / ddof=0 total variance) gave 2.0 here
    assert noise_share([0, 2, 0, 2], [0, 0, 1, 1]) == pytest.approx(1.0)
    assert noise_share([0, 0, 5, 5], [0, 0, 1, 1]) == pytest.approx(0.0)
    assert math.isnan(noise_share([3, 3, 3, 3], [0, 0, 1, 1]))


def test_zero_spread_difference_has_no_infinite_effect_size():
    d = paired_difference([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert d["diff"] == 1.0 and d["sd_diff"] == 0.0
    assert math.isnan(d["d_z"]) and not math.isinf(d["d_z"])


def test_index_warnings_flag_unconverged_sobol():
    t = pd.DataFrame(
        {
            "metric": ["m"] * 3,
            "parameter": ["a", "b", "c"],
            "S1": [0.6, 0.4, 0.09],
            "S1_conf": [0.1, 0.5, 0.2],
        }
    )
    w = index_warnings("sobol", t)
    assert any("sum to 1.09" in x for x in w)
    assert any("2 of 3 S1 intervals cross zero" in x for x in w)
    ok = t.assign(S1=[0.5, 0.3, 0.1], S1_conf=[0.05, 0.05, 0.05])
    assert index_warnings("sobol", ok) == []
    morris = pd.DataFrame(
        {"metric": "m", "parameter": ["a", "b"], "mu_star": [0.2, 0.1], "mu_star_conf": [0.3, 0.2]}
    )
    assert any("2 of 2 mu_star intervals cross zero" in x for x in index_warnings("morris", morris))
    assert index_warnings("morris", morris.assign(mu_star_conf=[0.05, 0.02])) == []


def test_no_figures_removes_an_old_figure(task_force, tmp_path):
    out, args, _ = task_force
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    assert (copy / "fig_effects.png").exists()
    args = with_option(args, "--out", copy)
    p = cli(*args, *SHORT, "--timeseries", "monthly", "--no-figures", check=True)
    assert "were already stored" in p.stdout
    assert not list(copy.glob("fig_*.png"))


# ------------------------------------------------------------------------------ discovery


@pytest.mark.parametrize("method", ["prim", "cart"])
def test_docs_discovery_example_end_to_end(tmp_path_factory, method):
    """The docs' example as written (a 36-run grid: a categorical decision structure, an integer
    and a real parameter), then the reported box checked against the points by hand."""
    pytest.importorskip("ema_workbench" if method == "prim" else "sklearn")
    text = DOCS.read_text()
    block = text[text.index("# scenario discovery example") :].split("```")[0].splitlines()[1:3]
    sweep_cmd, discover_cmd = (shlex.split(ln) for ln in block)
    out = tmp_path_factory.getbasetemp() / "discovery"
    if not (out / "sweep.json").exists():
        args = with_option(sweep_cmd[1:], "--out", out)
        cli(*args, "--no-progress", check=True)
    args = [str(out) if a == "out/discovery" else a for a in discover_cmd[1:]]
    p = cli(*args, "--method", method, check=True)
    assert "Scenario discovery" in p.stdout
    boxes = pd.read_csv(out / "discover_boxes.csv")
    trade = pd.read_csv(out / "discover_tradeoff.csv")
    assert set(boxes.kind) == {"categorical", "integer", "real"}
    assert (out / "fig_discover.png").exists()
    md = (out / "discover.md").read_text()
    chosen = int(re.search(r"## Box (\d+):", md).group(1))
    # recompute the reported box's coverage and density from the stored runs
    metric = args[args.index("--metric") + 1]
    runs = load_runs(out)
    keys = list(boxes.parameter.unique())
    pts = runs.groupby([f"param.{k}" for k in keys])[f"metric.{metric}"].mean().reset_index()
    thr = np.quantile(pts[f"metric.{metric}"], float(args[args.index("--quantile") + 1]))
    assert f"> {thr:g}" in md
    case = pts[f"metric.{metric}"] > thr
    inside = np.ones(len(pts), dtype=bool)
    for _, b in boxes[boxes.box == chosen].iterrows():
        col = pts[f"param.{b.parameter}"]
        if b.kind == "categorical":
            inside &= col.astype(str).isin(str(b["values"]).split(",")).to_numpy()
        else:
            inside &= ((col >= b.low - 1e-9) & (col <= b.high + 1e-9)).to_numpy()
    row = trade[trade.box == chosen].iloc[0]
    assert row.coverage == pytest.approx(case[inside].sum() / case.sum())
    assert row.density == pytest.approx(case[inside].mean())
    assert row.coverage >= 0.5
    # integer limits are integers
    ints = boxes[boxes.kind == "integer"]
    assert (ints.low == ints.low.round()).all() and (ints.high == ints.high.round()).all()


def test_discover_bad_threshold_is_one_line(task_force):
    out, _, _ = task_force
    p = cli("discover", out, "--metric", "aid_reached_total", "--threshold", "1e12")
    assert p.returncode == 2 and "--threshold" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    p = cli("discover", out, "--metric", "nope", "--threshold", "1")
    assert p.returncode == 2 and "unknown metric 'nope'" in p.stderr


# ------------------------------------------------------------------------------ docs


def test_outputs_md_lists_every_column_and_metric(hist_run):
    """docs/OUTPUTS.md documents every weekly and monthly column and every summary metric."""
    text = (ROOT / "docs" / "OUTPUTS.md").read_text()
    names = [*hist_run.timeseries.columns, *hist_run.monthly.columns, *hist_run.metrics]
    missing = sorted({n for n in names if f"`{n}`" not in text})
    assert not missing, f"not in docs/OUTPUTS.md: {missing}"


def test_citation_file_and_thesis_citation():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["title"] and cff["authors"]
    from sim import __version__

    assert cff["version"] == __version__
    thesis = cff["references"][0]
    assert thesis["type"] == "thesis" and thesis["year"] == 2017
    assert thesis["authors"][0]["family-names"] == "Ward"
    assert thesis["institution"]["name"] == "University of Oregon"
    title = "Can the United States and Russia Cooperate? Analyzing the Results of Bilateral"
    assert thesis["title"].startswith(title)
    for doc in ("README.md", "docs/ODD.md", "docs/EXPERIMENTS.md", "docs/OUTPUTS.md"):
        text = " ".join((ROOT / doc).read_text().split())
        assert "Ward, Peter Brian. 2017." in text and title in text, doc


# ------------------------------------------------------------------------------ per-area output


def test_per_area_monthly_output_matches_the_weekly_record(tmp_path):
    """areas = "monthly": each area's state at the end of every month; the run is unchanged and
    the areas add up to the weekly record's totals."""
    from sim import load_scenario, run
    from sim.experiments import load_areas

    sweep = tmp_path / "areas.toml"
    sweep.write_text(
        f'[sweep]\nscenario = "{HIST}"\ndesign = "grid"\nreplicates = 1\nseed = 7\n'
        'timeseries = "weekly"\nareas = "monthly"\n[parameters]\n'
        '"params.diplomacy.chaos" = { values = [0.2, 0.3] }\n'
    )
    out = tmp_path / "out"
    cli("sweep", sweep, "--out", out, "--jobs", 1, "--no-progress", check=True)
    runs = load_runs(out)
    areas = load_areas(out)
    weekly = load_timeseries(out)
    n_areas = areas.area.nunique()
    assert n_areas >= 70 and len(areas) == len(runs) * n_areas * areas.month.nunique()
    assert set(areas.status) <= {"accessible", "hard_to_reach", "besieged"}
    assert set(areas.controller) <= {"government", "opposition", "isil", "kurdish"}
    for rid in runs.run_id:
        a = areas[areas.run_id == rid]
        w = weekly[weekly.run_id == rid].copy()
        w["month"] = w.date.str.slice(0, 7)
        last = w.groupby("month").tail(1).set_index("month")
        besieged = a[a.status == "besieged"].groupby("month").population.sum()
        got = besieged.reindex(last.index, fill_value=0.0)
        np.testing.assert_allclose(got, last.besieged_pop, rtol=1e-9)
        gov = a[a.controller == "government"].groupby("month").size()
        np.testing.assert_array_equal(gov.reindex(last.index, fill_value=0), last.areas_government)
    # recording the areas draws nothing: the metrics are those of a plain run with that seed
    r = runs.iloc[0]
    sc = load_scenario(HIST).with_overrides(
        {"params.diplomacy.chaos": r["param.params.diplomacy.chaos"]}
    )
    plain = run(sc, seed=int(r.seed)).metrics
    for k, v in plain.items():
        assert r[f"metric.{k}"] == pytest.approx(v, nan_ok=True), k


def test_set_end_cuts_the_horizon_and_drops_later_decisions(tmp_path):
    """--set end=2016-06-30: a shorter run (later decisions dropped), not an out-of-horizon error."""
    from sim import load_scenario, run
    from sim.experiments import adapter

    sc = adapter.load_scenario(HIST, ["end=2016-06-30"])
    assert str(sc.end) == "2016-06-30" and all(str(e["date"]) <= "2016-06-30" for e in sc.events())
    full = run(load_scenario(HIST), seed=5).timeseries
    cut = run(sc, seed=5).timeseries
    pd.testing.assert_frame_equal(cut, full.iloc[: len(cut)])  # runs are causal
    out = tmp_path / "cut"
    args = ("compare", HIST, "--decision", "issg_access_task_force", "--structures")
    p = cli(
        *args,
        "timeline,none",
        "--replicates",
        2,
        "--set",
        "end=2016-06-30",
        "--out",
        out,
        "--jobs",
        1,
        "--no-progress",
        "--no-figures",
    )
    assert p.returncode == 0, p.stderr
    bad = cli(*args, "timeline,none", "--set", "end=someday", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
