"""Fault and bad-input suite (docs/RELIABILITY.md): every bad input exits 2 with exactly one line
on stderr, no traceback, and leaves its output location unchanged byte for byte; every kill
leaves no process behind and a store that verifies clean and equals an uninterrupted run.

Cases are grouped by class (output paths, seeds, encodings, designs, servers, ...); each class
is checked on every command that takes that kind of input. Runs are of the historical scenario
(~0.25 s each); sweeps have a handful of runs. Waits are on conditions, with bounded timeouts.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
HIST = ROOT / "scenarios" / "historical.toml"
VOLATILE = ["worker", "duration_s", "cpu_s", "session_id"]  # where, how fast, which session


def cli(*args, cwd=None, timeout=120, env=None):
    e = {**os.environ, "PYTHONPATH": str(ROOT), "SYRIASIM_DASK_CONNECT_TIMEOUT": "2", **(env or {})}
    return subprocess.run(
        [PY, "-m", "sim", *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=e,
    )


def snapshot(path: Path) -> dict:
    """Every file under ``path`` (or the file itself) with its bytes; folders as markers."""
    path = Path(path)
    if not path.exists():
        return {"<absent>": b""}
    if path.is_file():
        return {"<file>": path.read_bytes()}
    out = {}
    for p in sorted(path.rglob("*")):
        out[str(p.relative_to(path))] = p.read_bytes() if p.is_file() else b"<dir>"
    return out


def assert_one_line_error(p, *needles):
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2, (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr and "error:" in lines[0], p.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])


def sweep_text(body: str, name: str = "tiny") -> str:
    return f'[sweep]\nname = "{name}"\nscenario = "{HIST}"\n{body}\n'


LHS = """design = "lhs"
samples = {n}
replicates = 1
seed = 7
timeseries = "monthly"
chunk_size = 1
[parameters]
"params.diplomacy.chaos" = {{ min = 0.1, max = 0.4 }}
"""


@pytest.fixture
def http_port():
    """A throwaway HTTP server on 127.0.0.1 (it accepts TCP but does not speak Dask)."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------ bad inputs
# Each case: (id, setup(tmp) -> (args, watched path, needles)). cwd is tmp/work.


def _user_folder(tmp):
    d = tmp / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep me\n")
    return d


def _store_folder(tmp):
    d = tmp / "store"
    (d / "runs").mkdir(parents=True)
    (d / "sweep.json").write_text('{"kind": "sweep", "fingerprint": "x"}\n')
    return d


def _a_file(tmp):
    f = tmp / "afile"
    f.write_text("data\n")
    return f


def _write(tmp, name, data: bytes):
    p = tmp / name
    p.write_bytes(data)
    return p


SCEN_LATIN1 = f'extends = "{HIST.as_posix()}"\nname = "caf\xe9"\n'


def _sweep(tmp, body, name="s.toml"):
    p = tmp / name
    p.write_text(sweep_text(body))
    return p


COMPARE = [
    "compare",
    "historical",
    "--track",
    "access",
    "--structures",
    "bilateral,none",
    "-n",
    "2",
]
CASES = {
    # --- output locations, every command that takes --out
    "run-out-user-folder": lambda t: (
        ["run", "historical", "--out", _user_folder(t)],
        t / "mine",
        ["notes.txt"],
    ),
    "run-out-results-store": lambda t: (
        ["run", "historical", "--out", _store_folder(t)],
        t / "store",
        ["--out"],
    ),
    "run-out-dot": lambda t: (["run", "historical", "--out", "."], t, ["--out"]),
    "run-out-dotdot": lambda t: (["run", "historical", "--out", ".."], t, ["--out"]),
    "run-out-cwd-absolute": lambda t: (["run", "historical", "--out", t / "work"], t, ["--out"]),
    "run-out-file": lambda t: (
        ["run", "historical", "--out", _a_file(t)],
        t / "afile",
        ["not a folder"],
    ),
    "run-out-under-file": lambda t: (
        ["run", "historical", "--out", _a_file(t) / "x"],
        t,
        ["is a file"],
    ),
    "run-out-unwritable": lambda t: (
        ["run", "historical", "--out", "/proc/syriasim-x"],
        t,
        ["cannot write"],
    ),
    "sweep-out-dot": lambda t: (["sweep", _sweep(t, LHS.format(n=2)), "--out", "."], t, ["--out"]),
    "sweep-out-file": lambda t: (
        ["sweep", _sweep(t, LHS.format(n=2)), "--out", _a_file(t)],
        t,
        ["--out"],
    ),
    "sweep-out-unwritable": lambda t: (
        ["sweep", _sweep(t, LHS.format(n=2)), "--out", "/proc/x"],
        t,
        ["--out"],
    ),
    "sweep-out-user-folder": lambda t: (
        ["sweep", _sweep(t, LHS.format(n=2)), "--out", _user_folder(t)],
        t,
        [],
    ),
    "compare-out-dotdot": lambda t: (
        [
            *COMPARE,
            "--out",
            "..",
        ],
        t,
        ["--out"],
    ),
    "compare-out-file": lambda t: (
        [
            *COMPARE,
            "--out",
            _a_file(t),
        ],
        t,
        ["--out"],
    ),
    "calibrate-out-file": lambda t: (
        [
            "calibrate",
            "--param",
            "params.diplomacy.chaos=0.1:0.4",
            "--trials",
            "1",
            "--out",
            _a_file(t),
        ],
        t,
        ["--out"],
    ),
    "report-history-out-dot": lambda t: (
        ["report-history", "--seeds", "2", "--out", "."],
        t,
        ["--out"],
    ),
    "effectiveness-out-unwritable": lambda t: (["effectiveness", "--out", "/proc/x"], t, ["--out"]),
    "demo-out-file": lambda t: (["demo", "--seeds", "1", "--out", _a_file(t)], t, ["--out"]),
    "robustness-out-dot": lambda t: (["robustness", "--out", "."], t, ["--out"]),
    "record-plot-unwritable": lambda t: (["record", "--plot", "/proc/x/r.png"], t, ["--plot"]),
    "figure-run-out-unwritable": lambda t: (
        ["figure", "run", t / "some-run", "--out", "/proc/x.png"],
        t,
        ["--out"],
    ),
    "figure-out-folder": lambda t: (
        ["figure", "map", "historical", "--out", _user_folder(t)],
        t,
        ["--out"],
    ),
    "summarize-csv-unwritable": lambda t: (
        ["summarize", _store_folder(t), "--csv", "/proc/x/y.csv"],
        t,
        ["--csv"],
    ),
    # --- seeds, in flags and in files
    "run-seed-negative": lambda t: (
        ["run", "historical", "--seed", "-1", "--out", "o"],
        t,
        ["--seed"],
    ),
    "run-seed-oversized": lambda t: (
        ["run", "historical", "--seed", str(2**64), "--out", "o"],
        t,
        ["--seed"],
    ),
    "compare-seed-negative": lambda t: (
        [
            *COMPARE,
            "--seed",
            "-5",
            "--out",
            "o",
        ],
        t,
        ["--seed"],
    ),
    "calibrate-seed-negative": lambda t: (
        ["calibrate", "--param", "params.diplomacy.chaos=0.1:0.4", "--seed", "-1", "--out", "o"],
        t,
        ["--seed"],
    ),
    "report-history-first-seed-negative": lambda t: (
        ["report-history", "--first-seed", "-3", "--out", "o"],
        t,
        ["--first-seed"],
    ),
    "sweep-file-seed-negative": lambda t: (
        ["sweep", _sweep(t, LHS.format(n=2).replace("seed = 7", "seed = -7")), "--out", "o"],
        t,
        ["sweep.seed"],
    ),
    "sweep-file-seed-oversized": lambda t: (
        ["sweep", _sweep(t, LHS.format(n=2).replace("seed = 7", f"seed = {2**63}")), "--out", "o"],
        t,
        ["sweep.seed"],
    ),
    "scenario-file-seed-negative": lambda t: (
        [
            "run",
            _write(t, "neg.toml", f'extends = "{HIST.as_posix()}"\nseed = -2\n'.encode()),
            "--out",
            "o",
        ],
        t,
        ["seed"],
    ),
    # --- ranges and design sizes (refused before the design is built)
    "sweep-integer-infinite-bound": lambda t: (
        [
            "sweep",
            _sweep(
                t,
                'design = "lhs"\nsamples = 2\n[parameters]\n"params.access.max_requests" = { min = 1, max = inf }',
            ),
            "--out",
            "o",
        ],
        t,
        ["finite"],
    ),
    "sweep-lhs-2e7-samples": lambda t: (
        ["sweep", _sweep(t, LHS.format(n=20_000_000)), "--out", "o"],
        t,
        ["max_runs"],
    ),
    "sweep-grid-1e12-points": lambda t: (
        [
            "sweep",
            _sweep(
                t,
                'design = "grid"\n[parameters]\n"params.diplomacy.chaos" = { min = 0.1, max = 0.4, steps = 1000000000000 }',
            ),
            "--out",
            "o",
        ],
        t,
        ["max_runs"],
    ),
    "set-integer-infinite": lambda t: (
        ["run", "historical", "--set", "params.access.max_requests=inf", "--out", "o"],
        t,
        ["params.access.max_requests"],
    ),
    "set-float-nan": lambda t: (
        ["run", "historical", "--set", "params.diplomacy.chaos=nan", "--out", "o"],
        t,
        ["params.diplomacy.chaos"],
    ),
    "calibrate-infinite-bound": lambda t: (
        ["calibrate", "--param", "params.access.max_requests=1:inf:int", "--out", "o"],
        t,
        ["low < high"],
    ),
    # --- things that must be refused before anything is written or run
    "compare-mistyped-metric": lambda t: (
        [
            *COMPARE,
            "--metrics",
            "acces_reached",
            "--out",
            "o",
        ],
        t,
        ["--metrics"],
    ),
    "calibrate-mistyped-param": lambda t: (
        ["calibrate", "--param", "params.diplomacy.chaoss=0.1:0.4", "--trials", "1", "--out", "o"],
        t,
        [],
    ),
    "sweep-corrupt-sweep-json": lambda t: (
        ["sweep", _sweep(t, LHS.format(n=2)), "--out", _corrupt_store(t)],
        t / "corrupt",
        ["sweep.json"],
    ),
    "summarize-corrupt-sweep-json": lambda t: (
        ["summarize", _corrupt_store(t)],
        t / "corrupt",
        ["sweep.json"],
    ),
    "verify-not-a-folder": lambda t: (["verify", t / "nope"], t, ["no such"]),
    # --- encodings: every kind of user file
    "scenario-latin1": lambda t: (
        ["validate", _write(t, "l1.toml", SCEN_LATIN1.encode("latin-1"))],
        t,
        ["l1.toml", "byte", "UTF-8"],
    ),
    "scenario-utf16": lambda t: (
        ["validate", _write(t, "u16.toml", SCEN_LATIN1.encode("utf-16"))],
        t,
        ["u16.toml", "UTF-16"],
    ),
    "scenario-windows-1252": lambda t: (
        [
            "run",
            _write(
                t,
                "win.toml",
                SCEN_LATIN1.replace("\n", "\r\n").replace("\xe9", "\u2019").encode("cp1252"),
            ),
            "--out",
            "o",
        ],
        t,
        ["win.toml", "byte"],
    ),
    "sweep-file-latin1": lambda t: (
        [
            "sweep",
            _write(t, "s1.toml", sweep_text(LHS.format(n=2), name="caf\xe9").encode("latin-1")),
            "--out",
            "o",
        ],
        t,
        ["s1.toml", "byte"],
    ),
    "targets-file-latin1": lambda t: (
        [
            "report-history",
            "--seeds",
            "2",
            "--targets",
            _write(t, "t.toml", "# caf\xe9\n".encode("latin-1")),
            "--out",
            "o",
        ],
        t,
        ["t.toml", "byte 5"],
    ),
    "params-file-latin1": lambda t: (
        [
            "calibrate",
            "--params-file",
            _write(t, "p.toml", "# r\xe9glage\n".encode("latin-1")),
            "--out",
            "o",
        ],
        t,
        ["p.toml", "byte"],
    ),
    # --- Dask: wrong servers and unreachable ones (also with --dry-run)
    "sweep-scheduler-http": lambda t: (
        [
            "sweep",
            _sweep(t, LHS.format(n=2)),
            "--out",
            "o",
            "--scheduler",
            f"tcp://127.0.0.1:{t.http_port}",
        ],
        t,
        ["--scheduler", "handshake"],
    ),
    "sweep-scheduler-http-dry-run": lambda t: (
        [
            "sweep",
            _sweep(t, LHS.format(n=2)),
            "--out",
            "o",
            "--dry-run",
            "--scheduler",
            f"tcp://127.0.0.1:{t.http_port}",
        ],
        t,
        ["--scheduler"],
    ),
    "compare-scheduler-refused": lambda t: (
        [
            *COMPARE,
            "--out",
            "o",
            "--scheduler",
            f"127.0.0.1:{free_port()}",
        ],
        t,
        ["--scheduler"],
    ),
}


def _corrupt_store(tmp):
    d = tmp / "corrupt"
    (d / "runs").mkdir(parents=True, exist_ok=True)
    (d / "sweep.json").write_bytes(b'{"kind": "sweep", "fingerp')
    return d


class _Tmp(type(Path())):  # a Path that also carries the throwaway HTTP server's port
    http_port = 0


def main_in_process(args, capsys) -> subprocess.CompletedProcess:
    """`syriasim ARGS` in this process (fast: no interpreter start); an escaping exception fails
    the test just as a traceback would."""
    from sim.cli import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_changes_nothing(case, tmp_path, capsys, monkeypatch, request):
    tmp = _Tmp(tmp_path)
    if "http" in case:  # only these cases need the throwaway server
        tmp.http_port = request.getfixturevalue("http_port")
    work = tmp / "work"
    work.mkdir()
    (work / "existing.txt").write_text("untouched\n")
    args, watched, needles = CASES[case](tmp)
    before, before_work = snapshot(watched), snapshot(work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("SYRIASIM_DASK_CONNECT_TIMEOUT", "2")
    p = main_in_process(args, capsys)
    assert_one_line_error(p, *needles)
    assert snapshot(watched) == before, "the output location changed"
    assert snapshot(work) == before_work, "the working folder changed"
    assert not (tmp / "o").exists()


def test_bad_inputs_in_a_real_process_too(tmp_path):
    """A sample of the classes above through the real entry point (exit status, stderr)."""
    for args in (
        ["run", "historical", "--out", "."],
        ["run", "historical", "--seed", "-1"],
        ["run", "historical", "--seed", "x"],
        ["validate", tmp_path / "missing.toml"],
    ):
        p = cli(*args, cwd=tmp_path)
        assert_one_line_error(p)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------ good inputs kept safe
def test_scenario_name_cannot_escape_the_output_root(tmp_path):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    victim = tmp_path / "victim-seed1"
    victim.mkdir()
    (victim / "precious.txt").write_text("mine\n")
    scen = work / "evil.toml"
    scen.write_text(f'extends = "{HIST.as_posix()}"\nname = "../../victim"\n')
    p = cli("run", scen, cwd=work)
    assert p.returncode == 0, p.stderr
    assert (work / "out" / "victim-seed1" / "summary.json").is_file()
    assert snapshot(victim) == {"precious.txt": b"mine\n"}


def test_run_replaces_only_its_own_output_and_keeps_the_folder_mode(tmp_path):
    out = tmp_path / "r"
    assert cli("run", "historical", "--out", out, cwd=tmp_path).returncode == 0
    first = snapshot(out)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not left private (0700) by mkdtemp
    assert set(first) == {"timeseries.csv", "monthly.csv", "summary.json"}
    assert b'"scenario_file": "scenarios/historical.toml"' in first["summary.json"]
    assert cli("run", "historical", "--out", out, cwd=tmp_path).returncode == 0
    assert snapshot(out) == first  # same run, same bytes; nothing else left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_utf8_with_byte_order_mark_is_accepted(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + f'extends = "{HIST.as_posix()}"\nname = "bom"\n'.encode())
    p = cli("validate", f)
    assert p.returncode == 0 and "ok (bom" in p.stdout, p.stderr


def test_jobs_are_capped_to_the_machine_with_one_note(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(sweep_text(LHS.format(n=2)))
    p = cli("sweep", s, "--out", tmp_path / "o", "--jobs", "1000", "--dry-run", "--no-progress")
    assert p.returncode == 0, p.stderr
    notes = [ln for ln in p.stderr.splitlines() if "capped" in ln]
    assert len(notes) == 1 and "--jobs 1000" in notes[0], p.stderr
    assert not (tmp_path / "o").exists()


def test_output_piped_into_head_is_quiet():
    proc = subprocess.Popen(
        [PY, "-m", "sim", "params"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    proc.stdout.close()  # the reader has left before the first line, as `head` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err


# ------------------------------------------------------------------------------ store repair
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted serial sweep: the bytes every interrupted or healed store must equal."""
    tmp = tmp_path_factory.mktemp("ref")
    s = tmp / "s.toml"
    s.write_text(sweep_text(LHS.format(n=8)))
    out = tmp / "ref"
    p = cli("sweep", s, "--out", out, "--jobs", "1", "--no-progress")
    assert p.returncode == 0, p.stderr
    # provenance names project files relative to the project: the same from any clone
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["scenario"]["path"] == "scenarios/historical.toml"
    assert list(prov["scenario"]["files"]) == ["scenarios/historical.toml"]
    return s, out


def table(folder: Path, sub: str = "runs") -> pd.DataFrame:
    df = pd.read_parquet(folder / sub)  # readers see no damaged part
    keys = ["run_id"] + [c for c in ("month", "date", "step") if c in df.columns][:1]
    return (
        df.drop(columns=[c for c in VOLATILE if c in df]).sort_values(keys).reset_index(drop=True)
    )


def assert_same_as_reference(out: Path, ref: Path):
    assert cli("verify", out).returncode == 0, cli("verify", out).stdout
    pd.testing.assert_frame_equal(table(out), table(ref), check_like=True)
    ts = table(out, "timeseries")
    assert not ts.duplicated(["run_id", "month"]).any(), "series rows stored twice"
    pd.testing.assert_frame_equal(ts, table(ref, "timeseries"), check_like=True)


@pytest.mark.parametrize(
    "damage", ["truncated-runs-part", "truncated-series-part", "garbage-runs-part"]
)
def test_damaged_part_is_quarantined_and_its_runs_redone(damage, reference, tmp_path):
    import shutil

    sweep, ref = reference
    out = tmp_path / "out"
    shutil.copytree(ref, out)
    sub = "timeseries" if "series" in damage else "runs"
    victim = sorted((out / sub).glob("part-*.parquet"))[3]
    if damage.startswith("truncated"):
        os.truncate(victim, victim.stat().st_size // 2)
    else:
        victim.write_bytes(b"not parquet at all")
    v = cli("verify", out)
    assert v.returncode == 1 and "damaged" in v.stdout, v.stdout
    p = cli("sweep", sweep, "--out", out, "--jobs", "1", "--no-progress")
    assert p.returncode == 0, p.stderr
    assert "quarantine" in p.stderr and "Traceback" not in p.stderr
    assert (out / "quarantine" / sub / victim.name).is_file()
    assert_same_as_reference(out, ref)


def test_compare_folder_with_a_truncated_series_part_heals(tmp_path):
    out = tmp_path / "cmp"
    args = [*COMPARE, "--timeseries", "monthly", "--no-figures", "--jobs", "1", "--out", out]
    assert cli(*args, "--no-progress").returncode == 0
    victim = sorted((out / "timeseries").glob("part-*.parquet"))[0]
    os.truncate(victim, victim.stat().st_size // 3)
    p = cli(*args, "--no-progress")
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert cli("verify", out).returncode == 0
    ts = pd.read_parquet(out / "timeseries")
    assert not ts.duplicated(["run_id", "month"]).any()
    assert len(pd.read_parquet(out / "runs")) == 4


# ------------------------------------------------------------------------------ kills
def alive_in_group(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(d.name))
    return pids


def wait_for(cond, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start(*args, cwd=ROOT):
    return subprocess.Popen(
        [PY, "-m", "sim", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,  # its own process group: what it leaves behind is findable
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_sigkilled_sweep_leaves_no_process_and_resumes_exactly(reference, tmp_path):
    sweep, ref = reference
    out = tmp_path / "out"
    proc = start("sweep", sweep, "--out", out, "--jobs", "2", "--no-progress")
    try:
        wait_for(lambda: len(list((out / "runs").glob("part-*.parquet"))) >= 2, 120, "two parts")
        assert len(alive_in_group(proc.pid)) >= 3  # the command, its fork server, workers
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    wait_for(lambda: not alive_in_group(proc.pid), 30, "the sweep's processes to exit")
    p = cli("sweep", sweep, "--out", out, "--jobs", "2", "--no-progress")
    assert p.returncode == 0, p.stderr
    assert_same_as_reference(out, ref)


def children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(d.name))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_dead_worker_is_one_line_and_the_store_resumes(reference, tmp_path):
    sweep, ref = reference
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [PY, "-m", "sim", "sweep", sweep, "--out", out, "--jobs", "2", "--no-progress"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    try:
        wait_for(lambda: list((out / "runs").glob("part-*.parquet")), 120, "a first part")
        workers = [w for c in children(proc.pid) for w in children(c)]  # fork server's children
        assert workers, "no worker found"
        os.kill(workers[0], signal.SIGKILL)
        err = proc.communicate(timeout=120)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode == 0:  # the sweep finished before the kill landed: nothing to check
        pytest.skip("the sweep finished first")
    lines = err.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "worker" in lines[0], err
    assert "Traceback" not in err
    wait_for(lambda: not alive_in_group(proc.pid), 30, "the sweep's processes to exit")
    p = cli("sweep", sweep, "--out", out, "--jobs", "1", "--no-progress")
    assert p.returncode == 0, p.stderr
    assert_same_as_reference(out, ref)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_sigkilled_app_leaves_no_server(tmp_path):
    port = free_port()
    proc = start("app", "--port", port, cwd=tmp_path)

    def serving():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_for(serving, 120, "the app to serve")
        server = [p for p in alive_in_group(proc.pid) if p != proc.pid]
        assert server, "no server process found"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    wait_for(lambda: not alive_in_group(proc.pid), 30, "the app's server to exit")


# ------------------------------------------------------------------------------ calibrate resume
def _die(*_a, **_k):
    os._exit(9)


def _quiet(_line):
    pass


def test_calibrate_requeues_a_trial_left_running_by_a_kill(tmp_path):
    import optuna

    from sim.calibration import calibrate as cal
    from sim.calibration.targets import load_targets
    from tests.test_calibration import STUB_TARGETS, StubScenario, stub_run

    (tmp_path / "t.toml").write_text(STUB_TARGETS)
    targets = load_targets(tmp_path / "t.toml", record_only=False)
    params = [cal.FreeParam("params.x", 0.0, 1.0), cal.FreeParam("params.drop", 0.0, 0.9)]
    out = tmp_path / "out"
    kw = dict(out_dir=out, seeds=[0, 1], jobs=1, runner=stub_run, log=_quiet)
    # a kill (no clean-up at all) during the first trial, the starting point
    import multiprocessing as mp

    child = mp.get_context("spawn").Process(
        target=cal.calibrate,
        args=(StubScenario(), params, targets),
        kwargs={**kw, "trials": 3, "runner": _die},
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 9
    study = optuna.load_study(
        study_name=cal.STUDY_NAME, storage=f"sqlite:///{out / cal.STUDY_FILE}"
    )
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.RUNNING]
    res = cal.calibrate(StubScenario(), params, targets, trials=3, **kw)
    study = optuna.load_study(
        study_name=cal.STUDY_NAME, storage=f"sqlite:///{out / cal.STUDY_FILE}"
    )
    assert not [t for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]
    starts = [t for t in study.trials if t.user_attrs.get("start") and t.value is not None]
    assert starts, "the starting point was never scored"
    assert res.best_loss <= min(t.value for t in starts)


def test_calibrate_fresh_with_a_typo_keeps_the_study(tmp_path):
    out = tmp_path / "cal"
    out.mkdir()
    (out / "study.db").write_bytes(b"a study\n")
    before = snapshot(out)
    p = cli("calibrate", "--param", "params.diplomacy.chaoss=0.1:0.4", "--fresh", "--out", out)
    assert_one_line_error(p)
    assert snapshot(out) == before
