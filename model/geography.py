"""Where a district is: planar coordinates, distances to the big cities, rotated axes.

Target-free features (``model.features`` adds them to the matrix; ``model.neighbours`` queries its
KD-tree in the same planar coordinates).
"""

from __future__ import annotations

import numpy as np

KM_PER_DEG_LAT = 110.57
# Longitude degrees shrink with latitude; 36 N is the middle of the state (error < 5 % across it).
KM_PER_DEG_LON = 111.32 * float(np.cos(np.radians(36.0)))

# (name, latitude, longitude): the metropolitan centres that drive California prices.
CITIES: tuple[tuple[str, float, float], ...] = (
    ("san_francisco", 37.7749, -122.4194),
    ("los_angeles", 34.0522, -118.2437),
    ("san_diego", 32.7157, -117.1611),
    ("san_jose", 37.3382, -121.8863),
    ("sacramento", 38.5816, -121.4944),
)
# Rotated axes let axis-aligned tree splits follow the diagonal California coast.
ROTATIONS_DEG: tuple[int, ...] = (15, 30, 45, 60, 75)

# Column names of ``geography``, in order.
GEOGRAPHY_FEATURES: tuple[str, ...] = (
    *(f"km_to_{c[0]}" for c in CITIES),
    "km_to_nearest_city",
    *(f"rotated_{d}deg" for d in ROTATIONS_DEG),
)


def planar_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular projection: Euclidean distance in it approximates km within the state."""
    return np.column_stack([lon * KM_PER_DEG_LON, lat * KM_PER_DEG_LAT])


_CITIES_KM = planar_km(np.array([c[1] for c in CITIES]), np.array([c[2] for c in CITIES]))
_ROTATION = np.radians(ROTATIONS_DEG)


def geography(xy: np.ndarray) -> np.ndarray:
    """``GEOGRAPHY_FEATURES`` of points in ``planar_km`` coordinates."""
    diff = xy[:, None, :] - _CITIES_KM[None, :, :]
    dist = np.sqrt((diff * diff).sum(axis=2))
    rotated = xy[:, :1] * np.cos(_ROTATION) + xy[:, 1:] * np.sin(_ROTATION)
    return np.column_stack([dist, dist.min(axis=1), rotated])
