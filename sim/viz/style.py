"""One palette and one set of labels for every figure of syriasim.

Every figure (the browser app, `syriasim figure`, the notebooks, comparison and calibration
reports) takes its colours and axis labels from here, so that an actor or a structure has the
same colour everywhere. Colours are from colour-blind-safe qualitative palettes (Okabe-Ito
and ColorBrewer), checked to stay distinguishable in grey-scale print where it matters (map
controllers). Import what you need::

    from sim.viz.style import ACTOR_COLORS, STRUCTURE_COLORS, MEASURES, actor_color
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# --- actors -------------------------------------------------------------------------------------
# Controllers of territory (map fill) and the outside powers (lines, arrows, legends).
ACTOR_COLORS: dict[str, str] = {
    "government": "#D55E00",  # vermillion: Syrian government and its allies on the ground
    "opposition": "#009E73",  # bluish green: opposition groups
    "isil": "#2B2B2B",  # near black: ISIL
    "kurdish": "#E6B400",  # mustard: Kurdish forces / SDF
    "nusra": "#8C564B",  # brown: Jabhat al-Nusra and other excluded groups
    "contested": "#BDBDBD",  # light grey: no single controller
    "us": "#0072B2",  # blue: United States
    "russia": "#CC79A7",  # reddish purple: Russia
    "un": "#56B4E9",  # sky blue: United Nations (OCHA, OPCW-UN, envoy)
    "turkey": "#A50026",  # dark red: Turkey
    "iran": "#4D9221",  # dark green: Iran
}

ACTOR_LABELS: dict[str, str] = {
    "government": "Syrian government",
    "opposition": "Opposition groups",
    "isil": "ISIL",
    "kurdish": "Kurdish forces / SDF",
    "nusra": "Nusra (excluded)",
    "contested": "Contested",
    "us": "United States",
    "russia": "Russia",
    "un": "United Nations",
    "turkey": "Turkey",
    "iran": "Iran",
}

# Common spellings that the core model or a data file may use for the same actor.
_ACTOR_ALIASES = {
    "gov": "government",
    "govt": "government",
    "regime": "government",
    "syrian_government": "government",
    "opp": "opposition",
    "rebels": "opposition",
    "isis": "isil",
    "is": "isil",
    "daesh": "isil",
    "kurds": "kurdish",
    "sdf": "kurdish",
    "ypg": "kurdish",
    "jan": "nusra",
    "hts": "nusra",
    "usa": "us",
    "united_states": "us",
    "rus": "russia",
    "united_nations": "un",
}

# --- structures of cooperation -------------------------------------------------------------------
STRUCTURE_COLORS: dict[str, str] = {
    "timeline": "#000000",  # black: as history happened (the scenario's dated events)
    "bilateral": "#7B3294",  # purple: US and Russia co-lead
    "multilateral": "#008837",  # green: uniform rules, UN alone
    "unilateral_us": "#2166AC",  # blue: the US acts alone
    "unilateral_russia": "#B2182B",  # red: Russia acts alone
    "trilateral": "#E08214",  # orange: Astana (Russia, Turkey, Iran)
    "none": "#8C8C8C",  # grey: no mechanism at all
}

STRUCTURE_LABELS: dict[str, str] = {
    "timeline": "As it happened (historical timeline)",
    "bilateral": "Bilateral (US-Russia co-lead)",
    "multilateral": "Multilateral (uniform rules)",
    "unilateral_us": "Unilateral: US alone",
    "unilateral_russia": "Unilateral: Russia alone",
    "trilateral": "Trilateral (Astana guarantors)",
    "none": "No mechanism",
}

# Short names for legends on small charts.
STRUCTURE_SHORT: dict[str, str] = {
    "timeline": "As it happened",
    "bilateral": "Bilateral (US-Russia)",
    "multilateral": "Multilateral (UN rules)",
    "unilateral_us": "US alone",
    "unilateral_russia": "Russia alone",
    "trilateral": "Trilateral (Astana)",
    "none": "No mechanism",
}

STRUCTURE_LINESTYLES: dict[str, str] = {
    "timeline": "-",
    "bilateral": "-",
    "multilateral": "--",
    "unilateral_us": "-.",
    "unilateral_russia": "-.",
    "trilateral": (0, (5, 1, 1, 1)),  # type: ignore[dict-item]
    "none": ":",
}

# --- map symbols ---------------------------------------------------------------------------------
EVENT_STYLES: dict[str, dict] = {
    "convoy": {"color": "#1A9850", "marker": "P", "label": "Aid delivered"},
    "convoy_blocked": {"color": "#7F7F7F", "marker": "X", "label": "Convoy blocked"},
    "airdrop": {"color": "#56B4E9", "marker": "v", "label": "Airdrop this week"},
    "strike": {"color": "#D7191C", "marker": "*", "label": "Strike"},
    "violation": {"color": "#FDAE61", "marker": "^", "label": "Ceasefire violation"},
    "chem_attack": {"color": "#9E0142", "marker": "D", "label": "Chemical attack"},
    "shipment": {"color": "#5E3C99", "marker": "s", "label": "Chemicals moved to port"},
    "control_change": {"color": "#000000", "marker": "o", "label": "Change of control"},
}
BESIEGED_EDGE = "#000000"  # thick black ring around a besieged area
HARD_TO_REACH_EDGE = "#666666"  # thin dashed grey ring
ROAD_COLOR = "#CFCFCF"
DIFFER_EDGE = "#00BFFF"  # outline of the areas that differ between two runs (side by side)
CEASEFIRE_SHADE = "#A6DBA0"  # background span while a ceasefire is in force
EVENT_LINE = "#636363"  # vertical lines marking dated decisions


# --- measures: label, unit and scale of each output column ---------------------------------------
@dataclass(frozen=True)
class Measure:
    """How to show one output column: y-axis label with its unit, and a scale factor."""

    column: str
    title: str
    unit: str
    scale: float = 1.0  # multiply the raw column by this (e.g. 100 for a fraction shown in %)
    ylim: tuple[float, float] | None = None

    @property
    def ylabel(self) -> str:
        return f"{self.title} ({self.unit})" if self.unit else self.title


MEASURES: dict[str, Measure] = {
    m.column: m
    for m in (
        Measure("cw_removed_frac", "Declared chemical stockpile removed", "%", 100.0, (0, 100)),
        Measure("cw_declared_t", "Declared chemical stockpile", "tonnes"),
        Measure("chem_attacks", "Chemical attacks", "attacks per week"),
        Measure("aid_requested", "Aid requested", "people per week"),
        Measure("aid_approved", "Aid approved", "people per week"),
        Measure("aid_reached", "Aid delivered", "people reached per week"),
        Measure("besieged_pop", "People under siege", "people"),
        Measure("besieged_reached", "Besieged people reached", "people per week"),
        Measure(
            "besieged_reached_share",
            "Besieged people reached this week",
            "% of besieged",
            100.0,
            (0, 100),
        ),
        Measure(
            "besieged_reached_mtd",
            "Besieged people reached this month (so far)",
            "% of besieged",
            100.0,
            (0, 100),
        ),
        Measure(
            "besieged_reached_frac",
            "Besieged people reached in the month",
            "% of besieged",
            100.0,
            (0, 100),
        ),
        Measure("violence", "Violence", "conflict deaths per week"),
        Measure(
            "ceasefire_active",
            "Ceasefire in force",
            "0 = no, 1 = yes (mean: share of seeds)",
            1.0,
            (0, 1),
        ),
        Measure("ceasefire_violations", "Ceasefire violations", "per week"),
        Measure("us_russia_trust", "US-Russia trust", "0 = none, 1 = full", 1.0, (0, 1)),
        Measure("escalation", "Risk of a US-Russia clash", "0 = none, 1 = clash", 1.0, (0, 1)),
        Measure("pop_share_government", "Population in government areas", "%", 100.0, (0, 100)),
        Measure("pop_share_opposition", "Population in opposition areas", "%", 100.0, (0, 100)),
        Measure("pop_share_isil", "Population in ISIL areas", "%", 100.0, (0, 100)),
        Measure("pop_share_kurdish", "Population in Kurdish areas", "%", 100.0, (0, 100)),
    )
}

DATE_LABEL = ""  # dated ticks speak for themselves
MONTH_LABEL = "Month"


def actor_key(name: str) -> str:
    """Normalise an actor/controller name to a key of ACTOR_COLORS (unknown names pass through)."""
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    return _ACTOR_ALIASES.get(key, key)


def actor_color(name: str) -> str:
    """Colour of an actor or territory controller; grey for anything unknown."""
    return ACTOR_COLORS.get(actor_key(name), ACTOR_COLORS["contested"])


def actor_label(name: str) -> str:
    key = actor_key(name)
    return ACTOR_LABELS.get(key, str(name).replace("_", " ").capitalize())


def structure_color(name: str) -> str:
    """Colour of a cooperation structure (bilateral, multilateral, ...); grey if unknown."""
    return STRUCTURE_COLORS.get(str(name), STRUCTURE_COLORS["none"])


def structure_label(name: str) -> str:
    return STRUCTURE_LABELS.get(str(name), str(name).replace("_", " ").capitalize())


def structure_short(name: str) -> str:
    return STRUCTURE_SHORT.get(name, structure_label(name))


def structure_linestyle(name: str):
    return STRUCTURE_LINESTYLES.get(str(name), "-")


def measure(column: str) -> Measure:
    """The Measure for an output column (a plain one built from the name if not registered)."""
    return MEASURES.get(column) or Measure(column, column.replace("_", " ").capitalize(), "")


# --- matplotlib helpers --------------------------------------------------------------------------
RC_PARAMS: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.fonttype": "none",  # keep text as text in SVG
}

# The app's images are shown at 96 CSS px per inch: 10.5 pt = 14 px, the smallest text a class
# reads on a projector; they are rendered at twice that resolution (crisp on any screen).
APP_RC_PARAMS: dict[str, object] = {
    **RC_PARAMS,
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.labelsize": 10.5,
    "legend.fontsize": 10.5,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
}
APP_CSS_DPI = 96
APP_DPI = 2 * APP_CSS_DPI

SAVE_FORMATS = ("png", "svg", "pdf")


def use_style() -> None:
    """Apply syriasim's matplotlib defaults (fonts, grid, spines) to the current process."""
    import matplotlib

    matplotlib.rcParams.update(RC_PARAMS)


def format_date_axis(ax, label: str = DATE_LABEL) -> None:
    """Dates on the x axis: concise month/year ticks and an axis label."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(label)


def save_figure(fig, path: str | Path, *, fmt: str | None = None, dpi: int | None = None) -> Path:
    """Save a figure as PNG, SVG or PDF (format from `fmt` or the file extension).

    Raises `sim.errors.UserError` for an unsupported format; creates the parent folder.
    """
    from sim.errors import UserError

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in SAVE_FORMATS:
        raise UserError(
            f"cannot save a figure as {fmt or 'a file without extension'!r} ({path}); "
            f"use one of: {', '.join('.' + f for f in SAVE_FORMATS)}"
        )
    if path.suffix.lower() != f".{fmt}":
        path = path.with_suffix(f".{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a reader never sees half a file.
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.{fmt}")
    with RcContext():
        fig.savefig(tmp, format=fmt, dpi=dpi or RC_PARAMS["savefig.dpi"], bbox_inches="tight")
    os.replace(tmp, path)
    return path


class RcContext:
    """Context manager applying RC_PARAMS temporarily (figures built inside get the style)."""

    def __init__(self, params: dict | None = None):
        self.params = params or RC_PARAMS

    def __enter__(self):
        import matplotlib

        self._ctx = matplotlib.rc_context(self.params)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
