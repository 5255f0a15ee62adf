"""Calibrated anatomical landmarks: medial knee and ankle markers of a static trial carried into dynamic trials that
have only the segments' technical markers (CAST, Cappozzo et al. 1995, Clin Biomech 10:171; docs/science.md
section 8).

In the static trial each landmark is expressed relative to its segment's technical markers (a thigh or shank
cluster); in each frame of a dynamic trial the least-squares rigid motion of those markers from their static
positions (Soderkvist & Wedin 1993, J Biomech 26:1473: the SVD solution) carries the landmark with it. The knee
and ankle joint centres of the knee FPPA are then the mid-points of lateral and medial markers as when both are
measured (``hipdrop.kernels.compensations``), instead of the lateral markers alone.

Markers are ``[time, marker, axis]`` in mm (``hipdrop.vocab``). A calibration is plain data (JSON-able): per side
and segment, the static positions of the cluster markers and of the landmarks.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from hipdrop.kernels.arrays import nanmedian
from hipdrop.vocab import AXIS, MARKER, SIDES, TIME

#: per segment, the sets of technical markers (suffixes after L/R) a lab may have, in order of preference: the
#: LASEM / Vicon lower-limb clusters (THLP, THLD, THAP, THAD; TIAP, TIAD, TILAT), four-marker plates (TH1-4,
#: SH1-4: nimble_complexknee) and the Plug-in Gait wands with the lateral marker of the joint (THI with KNE and
#: the hip is no rigid set; TIB, ANK and KNE are)
CLUSTERS = {
    "thigh": (("THLP", "THLD", "THAP", "THAD"), ("TH1", "TH2", "TH3", "TH4")),
    "shank": (("TIAP", "TIAD", "TILAT"), ("SH1", "SH2", "SH3", "SH4"), ("TIB", "ANK", "KNE")),
}
#: the landmarks each segment carries: the femoral epicondyles on the thigh, the malleoli on the shank
LANDMARKS = {"thigh": ("KNM", "KNE"), "shank": ("MED", "ANK")}
#: a rigid fit needs three non-collinear markers
MIN_CLUSTER = 3


def _still(markers: xr.DataArray, names: list[str]) -> np.ndarray:
    """``[marker, axis]`` median positions over the trial (a static trial: the subject stands still)."""
    xyz = markers.sel({MARKER: names}).transpose(TIME, MARKER, AXIS).to_numpy()
    return nanmedian(xyz, 0)


def _cluster(names: set, side: str, segment: str) -> list[str]:
    for option in CLUSTERS[segment]:
        present = [f"{side}{m}" for m in option if f"{side}{m}" in names]
        if len(present) >= MIN_CLUSTER:
            return present
    return []


def calibrate_landmarks(static: xr.DataArray, dynamic_names=None) -> dict:
    """The calibration of a static trial: ``{side: {segment: {"cluster": {name: [x, y, z]}, "landmarks": {name:
    [x, y, z]}}}}`` (mm, static lab), for each side and segment with a cluster and at least one landmark. With
    ``dynamic_names``, only clusters whose markers all exist there and landmarks missing there are kept."""
    names = {str(m) for m in static[MARKER].values}
    wanted = None if dynamic_names is None else {str(m) for m in dynamic_names}
    out: dict = {}
    for side in SIDES:
        for segment in CLUSTERS:
            cluster = _cluster(names if wanted is None else names & wanted, side, segment)
            landmarks = [f"{side}{m}" for m in LANDMARKS[segment] if f"{side}{m}" in names
                         and f"{side}{m}" not in cluster and (wanted is None or f"{side}{m}" not in wanted)]
            if not cluster or not landmarks:
                continue
            cluster_xyz, landmark_xyz = _still(static, cluster), _still(static, landmarks)
            if not (np.isfinite(cluster_xyz).all() and np.isfinite(landmark_xyz).all()):
                continue
            out.setdefault(side, {})[segment] = {
                "cluster": {n: [float(v) for v in p] for n, p in zip(cluster, cluster_xyz)},
                "landmarks": {n: [float(v) for v in p] for n, p in zip(landmarks, landmark_xyz)},
            }
    return out


def rigid_fit(reference: np.ndarray, moved: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares rigid motion taking ``reference[k, 3]`` to ``moved[time, k, 3]`` (Soderkvist & Wedin 1993):
    rotations ``[time, 3, 3]``, translations ``[time, 3]`` and the RMS residual ``[time]`` (mm), NaN in frames
    where a marker is missing."""
    ref_mean = reference.mean(0)
    mov_mean = moved.mean(-2)
    covariance = np.einsum("tki,kj->tij", moved - mov_mean[:, None], reference - ref_mean)
    ok = np.isfinite(covariance).all((-1, -2))
    u, _, vt = np.linalg.svd(np.where(ok[:, None, None], covariance, np.eye(3)))
    sign = np.sign(np.linalg.det(u @ vt))
    rotation = u @ np.einsum("ti,ij->tij", np.stack([np.ones_like(sign), np.ones_like(sign), sign], -1), np.eye(3)) @ vt  # no reflection
    translation = mov_mean - np.einsum("tij,j->ti", rotation, ref_mean)
    fitted = np.einsum("tij,kj->tki", rotation, reference) + translation[:, None]
    residual = np.sqrt(((fitted - moved) ** 2).sum(-1).mean(-1))
    rotation[~ok], translation[~ok], residual[~ok] = np.nan, np.nan, np.nan
    return rotation, translation, residual


def reconstruct_landmarks(markers: xr.DataArray, calibration: dict) -> xr.DataArray:
    """``markers`` with each calibrated landmark the trial lacks added, carried by its segment's cluster.

    Returns the markers with the new ones appended; ``attrs["calibrated_landmarks"]`` lists them as
    "LKNM (thigh: LTHLP, LTHLD, LTHAP, LTHAD)", and ``attrs["cluster_residual_mm"]`` gives each segment's median
    RMS residual of the rigid fit (mm: the clusters' own deformation by skin motion, and so a floor under the
    landmarks' error). Landmarks the trial has, or whose cluster it lacks, are left alone.
    """
    names = [str(m) for m in markers[MARKER].values]
    xyz = markers.transpose(TIME, MARKER, AXIS).to_numpy()
    added, new, said, residuals = [], [], [], {}
    for side, segments in (calibration or {}).items():
        for segment, cal in segments.items():
            cluster = list(cal["cluster"])
            landmarks = [n for n in cal["landmarks"] if n not in names]
            if not landmarks or not set(cluster) <= set(names):
                continue
            moved = xyz[:, [names.index(n) for n in cluster]]
            rotation, translation, residual = rigid_fit(np.array([cal["cluster"][n] for n in cluster]), moved)
            for landmark in landmarks:
                point = np.einsum("tij,j->ti", rotation, np.asarray(cal["landmarks"][landmark])) + translation
                added.append(point)
                new.append(landmark)
                said.append(f"{landmark} ({segment}: {', '.join(cluster)})")
            residuals[f"{side} {segment}"] = float(np.nanmedian(residual)) if np.isfinite(residual).any() else np.nan
    if not new:
        return markers.assign_attrs(calibrated_landmarks="", cluster_residual_mm="")
    extra = xr.DataArray(np.stack(added, 1), dims=(TIME, MARKER, AXIS),
                         coords={TIME: markers[TIME], MARKER: new, AXIS: markers[AXIS]})
    out = xr.concat([markers.transpose(TIME, MARKER, AXIS), extra], dim=MARKER)
    return out.assign_attrs(markers.attrs, calibrated_landmarks="; ".join(said),
                            cluster_residual_mm="; ".join(f"{k} {v:.1f}" for k, v in residuals.items()))
