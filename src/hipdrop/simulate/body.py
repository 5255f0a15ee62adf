"""The simulated runner's body: the pelvis posed by Baker's sequence, the feet's heel and toe on a treadmill belt
(landing, rolling over, swinging), and the treadmill plate's force. Shared by the running and single-leg simulators.
"""

from __future__ import annotations

import numpy as np

# Pelvis landmarks in the pelvis frame (mm; origin mid-ASIS, X forward, Y left, Z up). The PSIS lie in the
# frame's XY plane so that the pelvis angles are defined relative to this marker-based frame exactly.
PELVIS_LOCAL = {"LASI": (0.0, 120.0, 0.0), "RASI": (0.0, -120.0, 0.0), "LPSI": (-150.0, 45.0, 0.0), "RPSI": (-150.0, -45.0, 0.0)}


def pelvis_pose(rotation: np.ndarray, obliquity: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """[time, 3, 3] pelvis orientation from Baker's sequence in PiG axes: R = Rz(rotation) Rx(obliquity) Ry(tilt),
    angles in radians."""
    cz, sz, cx, sx, cy, sy = np.cos(rotation), np.sin(rotation), np.cos(obliquity), np.sin(obliquity), np.cos(tilt), np.sin(tilt)
    one, zero = np.ones_like(cz), np.zeros_like(cz)
    rz = np.stack([np.stack([cz, -sz, zero], -1), np.stack([sz, cz, zero], -1), np.stack([zero, zero, one], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cx, -sx], -1), np.stack([zero, sx, cx], -1)], -2)
    ry = np.stack([np.stack([cy, zero, sy], -1), np.stack([zero, one, zero], -1), np.stack([-sy, zero, cy], -1)], -2)
    return rz @ rx @ ry


HEEL_GROUND_MM, TOE_GROUND_MM = 25.0, 20.0  # marker heights with the foot flat on the belt
# The landing marker sinks PAD_MM into heel pad and shoe over the first PAD_S; the forefoot marker rises ROLL_MM
# while the foot rolls over the toes in the last ROLL_PHASE of stance. As measured on real running against force
# plates (RBDS001runT35, dorn_JA1Gait35, flash_maxSprint): the landing marker is 0-7 mm above its rest at contact,
# the last marker to leave 18-33 mm up at foot off, rising at 0.8-5 m/s (RBDS, the jogger: 18 mm, 0.8 m/s); the
# landing marker's descent is arrested over 7-17 ms (docs/science.md section 4), hence PAD_S in that range.
PAD_MM, PAD_S = 4.0, 0.012
ROLL_MM, ROLL_PHASE = 18.0, 0.2


def foot_trajectories(t, strikes, offs, stance_s, mine, *, speed, strike):
    """Heel and toe trajectories [time, 3] of one foot (mm): on the belt moving back at belt speed in stance,
    swinging forward in a smooth arc in swing. The landing part (heel, toe for a fore-foot striker, both for a
    mid-foot striker) meets the belt at about 1 m/s and compresses; the other part comes down by 10-12 % of
    stance; the toe leaves last."""
    idx = np.flatnonzero(mine)
    i = np.clip(np.searchsorted(strikes[idx], t, side="right") - 1, 0, len(idx) - 2)
    this, nxt = idx[i], idx[i + 1]
    since = t - strikes[this]
    stance = stance_s[this]
    in_stance = since <= stance
    sp = np.clip(since / stance, 0, 1)  # stance phase
    swing_s = strikes[nxt] - offs[this]
    u = np.clip((since - stance) / swing_s, 0, 1)  # swing phase
    x_strike = 250.0
    x_off = x_strike - speed * stance
    x = np.where(in_stance, x_strike - speed * since, x_off + (x_strike - x_off) * (1 - np.cos(np.pi * u)) / 2)

    landing = PAD_MM * np.clip(1 - since / PAD_S, 0, 1) ** 2
    lowering = lambda height, until: height * np.clip(1 - sp / until, 0, 1) ** 2
    heel_rise = 60.0 * np.clip((sp - 0.6) / 0.4, 0, 1) ** 2
    roll = ROLL_MM * np.clip((sp - 1 + ROLL_PHASE) / ROLL_PHASE, 0, 1) ** 2
    heel_lands, toe_lands = strike != "forefoot", strike != "rearfoot"
    heel_at_strike, toe_at_strike = PAD_MM if heel_lands else 30.0, PAD_MM if toe_lands else 40.0
    heel_stance = HEEL_GROUND_MM + (landing if heel_lands else lowering(30.0, 0.10)) + heel_rise
    toe_stance = TOE_GROUND_MM + (landing if toe_lands else lowering(40.0, 0.12)) + roll
    # swing: from the height at foot off straight to the height at the next strike, plus an arc
    heel_swing = HEEL_GROUND_MM + heel_at_strike * u + 60.0 * (1 - u) + 150.0 * np.sin(np.pi * u)
    toe_swing = TOE_GROUND_MM + toe_at_strike * u + ROLL_MM * (1 - u) + 100.0 * np.sin(np.pi * u)
    n = len(t)
    heel = np.stack([x, np.zeros(n), np.where(in_stance, heel_stance, heel_swing)], -1)
    toe = np.stack([x + 180.0, np.zeros(n), np.where(in_stance, toe_stance, toe_swing)], -1)
    return heel, toe


ANALOG_RATE_HZ = 1000.0
FORCE_LABELS = ["Fx1", "Fy1", "Fz1", "Mx1", "My1", "Mz1"]


def treadmill_force(t, strikes, offs, sides, *, mass_kg: float, rate_hz: float) -> np.ndarray:
    """Six analog channels of one treadmill plate under both feet: a half-sine vertical force of 2.5 body weights
    per stance (typical running peak), sampled at 1000 Hz. The plate frame is the lab's turned about X by 180 deg
    (Z down, as plate makers define it), so the force the runner exerts on the plate is +Fz."""
    per_frame = int(ANALOG_RATE_HZ / rate_hz)
    ta = t[0] + np.arange(len(t) * per_frame) / ANALOG_RATE_HZ
    k = np.clip(np.searchsorted(strikes, ta, side="right") - 1, 0, len(strikes) - 1)
    s = (ta - strikes[k]) / (offs[k] - strikes[k])
    fz = np.where((s >= 0) & (s <= 1), 2.5 * mass_kg * 9.81 * np.sin(np.pi * np.clip(s, 0, 1)), 0.0)
    cop_y_lab = np.where(sides[k] == "L", 100.0, -100.0)
    analogs = np.zeros((len(ta), 6))
    analogs[:, 2] = fz
    analogs[:, 3] = -cop_y_lab * fz  # Mx = COPy * Fz in the plate frame, whose Y is the lab's -Y
    return analogs


# A 2 m x 1 m treadmill plate centred under the runner, surface at lab Z = 0; corners in lab mm, numbered as
# the C3D user guide does (counter-clockwise seen from above, starting in the +X +Y quadrant); ORIGIN is the
# vector from the plate's surface centre to its sensor origin, in the plate frame.
TREADMILL_PLATE = {"corners": [[1000, -1000, -1000, 1000], [500, 500, -500, -500], [0, 0, 0, 0]], "origin": [0.0, 0.0, 0.0]}
