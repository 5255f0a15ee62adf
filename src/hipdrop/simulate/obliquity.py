"""The obliquity model of the running simulator: the template learned from real running
(``hipdrop/data/obliquity_template.json``, ``scripts/learn_obliquity_template.py``, docs/science.md section 11), a
runner's and a stride's shapes drawn from it, a condition's effect over stance, and each stance's true peak.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq
from scipy.stats import truncnorm

#: a condition's effect is applied in full over this share of stance from the strike, then fades out by foot off
EFFECT_FLAT = 0.5
#: the learned template (scripts/learn_obliquity_template.py)
TEMPLATE = "data/obliquity_template.json"


@lru_cache(maxsize=4)
def load_template(path: str = "") -> dict:
    """The obliquity model (``scripts/learn_obliquity_template.py``) as arrays: ``mean`` [point], ``runner_pc`` and
    ``stride_pc`` [component, point] scaled by their SDs, ``offset_sd_deg``, and the stance and flight grids."""
    text = Path(path).read_text() if path else files("hipdrop").joinpath(TEMPLATE).read_text()
    model = json.loads(text)
    n = model["stance_points"]
    scaled = lambda pcs, sd: np.asarray(pcs, float).reshape(len(sd), -1) * np.asarray(sd, float)[:, None]
    # the learned runners' own scores on the runner components (in SDs): a runner is drawn inside their range
    units = np.asarray(model["runner_components"], float).reshape(len(model["runner_sd"]), -1)
    own = [(np.asarray(s["mean"], float) - model["mean"]) @ units.T / model["runner_sd"] for s in model["sources"]]
    low, high = np.min(own, axis=0), np.max(own, axis=0)
    return {"mean": np.asarray(model["mean"], float), "runner_pc": scaled(model["runner_components"], model["runner_sd"]),
            "runner_score_range": (low, high), "runner_score_loc": np.array([_centred(a, b) for a, b in zip(low, high)]),
            "stride_pc": scaled(model["stride_components"], model["stride_sd"]), "offset_sd_deg": model["offset_sd_deg"],
            "stance_u": np.linspace(0.0, 1.0, n), "flight_v": np.linspace(0.0, 1.0, model["flight_points"]), "n": n}


def _centred(low: float, high: float) -> float:
    """The location of a unit normal that, truncated to [``low``, ``high``], has mean zero (the learned runners'
    mean, which is the template's mean); 0 for a range that is a point."""
    if high - low < 1e-9:
        return 0.0
    return float(brentq(lambda loc: truncnorm(low - loc, high - loc, loc=loc).mean(), low - 10.0, high + 10.0))


def effect_weight(u: np.ndarray) -> np.ndarray:
    """How much of a condition's effect a stance carries at stance phase ``u`` (0 strike, 1 foot off): all of it up
    to ``EFFECT_FLAT``, then fading smoothly (zero slope at both ends) to none at foot off."""
    return 1.0 - smoothstep((np.asarray(u, float) - EFFECT_FLAT) / (1.0 - EFFECT_FLAT))


def smoothstep(x: np.ndarray) -> np.ndarray:
    """0 below 0, 1 above 1 and 3x^2 - 2x^3 between: a ramp with zero slope at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def half_cycle_shapes(rng: np.random.Generator, template: dict, runner_shape: np.ndarray, n: int, var: bool) -> np.ndarray:
    """[half-cycle, point] S-side obliquity (deg) of ``n`` half-cycles: the runner's own mean shape plus each
    stride's principal-component deviation (none without variation)."""
    shapes = np.tile(runner_shape, (n, 1))
    if var:
        shapes = shapes + rng.normal(0, 1, (n, len(template["stride_pc"]))) @ template["stride_pc"]
    return shapes


def stance_splines(template: dict, shapes: np.ndarray, effects: np.ndarray) -> CubicSpline:
    """One vector-valued spline over stance phase 0-1 of each half-cycle's stance part, the effect included."""
    u = template["stance_u"]
    return CubicSpline(u, shapes[:, : template["n"]].T + effect_weight(u)[:, None] * effects, axis=0)


def stance_truth(spline: CubicSpline, points: int = 4001) -> dict:
    """Peak (deg), its time (% stance) and the value at strike of every stance of ``spline`` (no side offset)."""
    u = np.linspace(0.0, 1.0, points)
    values = spline(u)
    at = np.argmax(values, axis=0)
    return {"peak": values[at, np.arange(values.shape[1])], "peak_pct": 100 * u[at], "strike": values[0]}


def spline_component(spline: CubicSpline, x: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Value of the vector-valued ``spline``'s component ``which[i]`` at ``x[i]``, for every i."""
    i = np.clip(np.searchsorted(spline.x, x, side="right") - 1, 0, len(spline.x) - 2)
    dx = x - spline.x[i]
    c = spline.c[:, i, which]  # [power, sample]
    return ((c[0] * dx + c[1]) * dx + c[2]) * dx + c[3]
