"""The historical record as data: what was observed, each figure with its source.

The record lives in sim/data/record/ (column reference and bibliography in its README.md):

- `series.csv`: long table of dated figures (`series,date,value,gap,source,locator,note`), one row
  per series and date; a month without a figure is a row with `gap=1` and an empty value.
- `control.csv`: each area's controller at dated snapshots (`area_id,area,date,controller,...`).
- `sieges.csv`: each siege's besieger, start and end.
- `ceasefires.csv`: each ceasefire's start and the date it stopped holding.
- `sources.csv`: the bibliography every row cites by `source` id.

`load()` validates every file and returns a `Record` of pandas frames; a malformed file raises
`UserError` naming the file, the line and column, and what is allowed. The record is reference
data for scoring runs (never read by the model during a run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd

from sim.errors import UserError
from sim.territory import CONTROLLERS, _read_rows


@dataclass(frozen=True)
class Series:
    name: str
    unit: str
    description: str
    share: bool = False  # a share in [0, 1] rather than a count


# The registry: every series name series.csv may use, with its unit. Dates are ISO days; a
# monthly figure is dated the first day of the month it covers; a stock is dated "as of".
SERIES = {
    s.name: s
    for s in (
        Series(
            "deaths_sohr",
            "deaths/month",
            "Syrian Observatory for Human Rights: deaths documented in the month (all sides)",
        ),
        Series(
            "deaths_sohr_year",
            "deaths/year",
            "Syrian Observatory for Human Rights: deaths documented in the year (checks the months)",
        ),
        Series(
            "deaths_snhr",
            "deaths/month",
            "Syrian Network for Human Rights: headline monthly toll (civilians only from 2016)",
        ),
        Series(
            "besieged_people", "people", "UN estimate of people living under siege (as of date)"
        ),
        Series(
            "access_requested_people",
            "people/month",
            "people covered by the UN's inter-agency cross-line convoy plan (request)",
        ),
        Series(
            "access_reached_people",
            "people/month",
            "people reached by inter-agency cross-line convoys in the month",
        ),
        Series(
            "access_reached_besieged_share",
            "share",
            "share of people in besieged areas reached with assistance in the month",
            share=True,
        ),
        Series("access_convoys", "convoys/month", "inter-agency cross-line convoys deployed"),
        Series(
            "access_requested_locations",
            "locations/month",
            "besieged and hard-to-reach locations in the UN's monthly convoy plan",
        ),
        Series(
            "access_approved_locations",
            "locations/month",
            "locations of the monthly plan approved by the government",
        ),
        Series(
            "cw_removed_share",
            "share",
            "share of Syria's declared chemical weapons material removed or destroyed (as of date)",
            share=True,
        ),
        Series(
            "isil_area_share",
            "share",
            "share of Syria's land area held by ISIL (as of date)",
            share=True,
        ),
        Series(
            "isil_caliphate_km2",
            "km2",
            "area held by ISIL in Iraq and Syria combined (IHS Conflict Monitor, as of date)",
        ),
    )
}

# How sure a control or siege row is; an area split between sides at a snapshot gets the
# majority holder, "low" or "medium", and a note naming the sides.
CONFIDENCE = ("high", "medium", "low")
FILES = ("sources", "series", "control", "sieges", "ceasefires")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PUBLISHED = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

# Column schema per file: column -> kind. Kinds ending in '?' may be empty.
SCHEMA = {
    "sources": {
        "id": "name",
        "author": "text",
        "title": "text",
        "published": "published",
        "url": "text?",
        "note": "text?",
    },
    "series": {
        "series": "series",
        "date": "date",
        "value": "number?",
        "gap": "flag",
        "source": "source?",
        "locator": "text?",
        "note": "text?",
    },
    "control": {
        "area_id": "area",
        "area": "text",
        "date": "date",
        "controller": "controller",
        "confidence": "confidence",
        "source": "source",
        "locator": "text",
        "note": "text?",
    },
    "sieges": {
        "area_id": "area",
        "area": "text",
        "besieger": "controller",
        "start": "date",
        "end": "date?",
        "confidence": "confidence",
        "source": "source",
        "locator": "text",
        "note": "text?",
    },
    "ceasefires": {
        "ceasefire": "name",
        "start": "date",
        "end": "date?",
        "end_basis": "text",
        "source": "source",
        "locator": "text",
        "note": "text?",
    },
}


@dataclass
class Record:
    """The validated record: one pandas frame per file (dates as datetime64)."""

    sources: pd.DataFrame
    series: pd.DataFrame
    control: pd.DataFrame
    sieges: pd.DataFrame
    ceasefires: pd.DataFrame

    def get(self, name: str) -> pd.DataFrame:
        """One series' rows (date, value, gap, source, locator, note), by date."""
        if name not in SERIES:
            raise UserError(f"unknown series; known: {', '.join(SERIES)}", key=name)
        rows = self.series[self.series["series"] == name]
        return rows.drop(columns="series").sort_values("date").reset_index(drop=True)

    def control_at(self, when: str) -> pd.DataFrame:
        """The control snapshot dated `when` (YYYY-MM-DD), one row per area, by area id."""
        rows = self.control[self.control["date"] == pd.Timestamp(when)]
        if rows.empty:
            dates = ", ".join(d.strftime("%Y-%m-%d") for d in self.snapshot_dates())
            raise UserError(f"no control snapshot; snapshots: {dates}", key=when)
        return rows.sort_values("area_id").reset_index(drop=True)

    def snapshot_dates(self) -> list[pd.Timestamp]:
        return sorted(self.control["date"].unique())

    def sieges_at(self, when: str) -> pd.DataFrame:
        """Sieges that had begun on or before `when` and had not ended before it."""
        t = pd.Timestamp(when)
        s = self.sieges
        active = (s["start"] <= t) & (s["end"].isna() | (s["end"] >= t))
        return s[active].reset_index(drop=True)


def record_dir() -> Path:
    return Path(str(resources.files("sim") / "data" / "record"))


def load(directory: Path | str | None = None, areas_csv: Path | str | None = None) -> Record:
    """Read and validate every record file in `directory` (default: the shipped record)."""
    directory = Path(directory) if directory is not None else record_dir()
    areas = _area_names(areas_csv)
    raw = {name: _read_rows(str(directory / f"{name}.csv")) for name in FILES}
    source_ids = {row.get("id", "") for row in raw["sources"]}
    frames = {}
    for name in FILES:
        path = str(directory / f"{name}.csv")
        rows = [
            _check_row(name, path, line, row, source_ids, areas)
            for line, row in _lines(raw, name, path)
        ]
        frames[name] = _frame(name, rows)
    _check_tables(directory, frames, areas)
    return Record(**frames)


def _lines(raw: dict, name: str, path: str):
    rows = raw[name]
    required = list(SCHEMA[name])
    missing = [c for c in required if c not in rows[0]]
    if missing:
        raise UserError(
            f"missing column(s) {', '.join(missing)}; required: {', '.join(required)}", file=path
        )
    return enumerate(rows, start=2)


def _area_names(areas_csv: Path | str | None) -> dict[int, str]:
    path = areas_csv or Path(str(resources.files("sim") / "data" / "areas.csv"))
    return {int(r["id"]): r["name"] for r in _read_rows(str(path))}


def _check_row(name, path, line, row, source_ids, areas) -> dict:
    out = {}
    for col, kind in SCHEMA[name].items():
        value = (row.get(col) or "").strip()
        key = f"line {line}.{col}"
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        if not value:
            if optional:
                out[col] = None
                continue
            raise UserError(f"empty; a {_ALLOWED[kind]} is required", file=path, key=key)
        out[col] = _parse(kind, value, path, key, source_ids, areas)
    if name == "series":
        _check_series_row(out, path, line)
    elif "area_id" in out and out["area"] != areas[out["area_id"]]:
        raise UserError(
            f"area name {out['area']!r} does not match id {out['area_id']} "
            f"({areas[out['area_id']]!r} in areas.csv)",
            file=path,
            key=f"line {line}.area",
        )
    for start, end in (("start", "end"),):
        if out.get(end) is not None and out[end] < out[start]:
            raise UserError(
                f"ends before it starts ({out[start]})", file=path, key=f"line {line}.end"
            )
    return out


_ALLOWED = {
    "name": "name",
    "text": "text",
    "published": "date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "date": "date (YYYY-MM-DD)",
    "number": "number",
    "flag": "flag (0 or 1)",
    "series": "series name",
    "source": "source id from sources.csv",
    "area": "area id from areas.csv",
    "controller": "controller",
    "confidence": "confidence",
}


def _parse(kind, value, path, key, source_ids, areas):
    if kind in ("text", "name"):
        return value
    if kind == "published":
        if not _PUBLISHED.fullmatch(value):
            raise UserError(
                f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}", file=path, key=key
            )
        return value
    if kind == "date":
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise UserError(
                f"expected a date like 2016-02-27, got {value!r}", file=path, key=key
            ) from None
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            raise UserError(f"expected a number, got {value!r}", file=path, key=key) from None
        if not number >= 0:  # also rejects nan
            raise UserError(f"expected a number >= 0, got {value!r}", file=path, key=key)
        return number
    if kind == "flag":
        if value not in ("0", "1"):
            raise UserError(f"expected 0 or 1, got {value!r}", file=path, key=key)
        return value == "1"
    choices = {
        "series": SERIES,
        "source": source_ids,
        "controller": CONTROLLERS,
        "confidence": CONFIDENCE,
    }
    if kind == "area":
        try:
            area_id = int(value)
        except ValueError:
            area_id = None
        if area_id not in areas:
            raise UserError(
                f"unknown area id {value!r}; allowed: 0..{max(areas)} (areas.csv)",
                file=path,
                key=key,
            )
        return area_id
    allowed = choices[kind]
    if value not in allowed:
        listed = ", ".join(sorted(allowed)) if len(allowed) <= 20 else "see sources.csv"
        raise UserError(f"unknown {kind} {value!r}; allowed: {listed}", file=path, key=key)
    return value


def _check_series_row(out: dict, path: str, line: int) -> None:
    key = f"line {line}"
    if out["gap"]:
        if out["value"] is not None:
            raise UserError(
                "a gap row (gap=1) must leave value empty", file=path, key=f"{key}.value"
            )
        if not out["note"]:
            raise UserError(
                "a gap row needs a note saying what is missing", file=path, key=f"{key}.note"
            )
        return
    if out["value"] is None:
        raise UserError(
            "empty; a number is required (or gap=1 for a missing figure)",
            file=path,
            key=f"{key}.value",
        )
    if out["source"] is None:
        raise UserError(
            "empty; every figure needs a source id from sources.csv", file=path, key=f"{key}.source"
        )
    if not out["locator"]:
        raise UserError(
            "empty; say where in the source (page, table, paragraph)",
            file=path,
            key=f"{key}.locator",
        )
    if SERIES[out["series"]].share and out["value"] > 1:
        raise UserError(
            f"a share must be in [0, 1], got {out['value']}", file=path, key=f"{key}.value"
        )


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(SCHEMA[name]))
    for col, kind in SCHEMA[name].items():
        if kind.rstrip("?") == "date":
            frame[col] = pd.to_datetime(frame[col])
    if name == "series":
        frame["value"] = frame["value"].astype(float)
    return frame


def _check_tables(directory: Path, frames: dict, areas: dict[int, str]) -> None:
    series = frames["series"]
    dup = series.duplicated(["series", "date"])
    if dup.any():
        line = int(dup.to_numpy().argmax()) + 2
        raise UserError(
            "two rows for the same series and date",
            file=str(directory / "series.csv"),
            key=f"line {line}",
        )
    control = frames["control"]
    path = str(directory / "control.csv")
    for when, rows in control.groupby("date"):
        ids = rows["area_id"].tolist()
        missing = sorted(set(areas) - set(ids))
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if missing or repeated:
            what = f"lacks area ids {missing}" if missing else f"repeats area ids {repeated}"
            raise UserError(
                f"snapshot {what}; every snapshot needs each area of areas.csv once",
                file=path,
                key=when.strftime("%Y-%m-%d"),
            )
