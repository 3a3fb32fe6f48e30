"""Peer for the nearest-outlet assignment: SciPy cKDTree on 3-D unit vectors (exact great-circle
order), both cores (workers=-1), on the points and outlets written by `cargo bench --bench planning`
to target/planning-peers/. Prints the time (best of 3) and the agreement with our assignment.
With --sjoin, also GeoPandas sjoin_nearest in EPSG:3067 (planar, so not exactly great-circle)."""
import sys, time
from pathlib import Path
import numpy as np
from scipy.spatial import cKDTree

D = Path(__file__).resolve().parents[2] / "target" / "planning-peers"


def units(lonlat):
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    cl = np.cos(lat)
    return np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])


pts = np.fromfile(D / "assign_points.f64", dtype="<f8").reshape(-1, 2)
sites = np.fromfile(D / "assign_sites.f64", dtype="<f8").reshape(-1, 2)
pu, su = units(pts), units(sites)
best = None
for _ in range(3):
    t = time.perf_counter()
    tree = cKDTree(su)
    _, idx = tree.query(pu, k=1, workers=-1)
    el = time.perf_counter() - t
    best = el if best is None else min(best, el)
print(f"RESULT cKDTree assign {len(pts):,} points -> {len(sites):,} outlets: {best:.3f} s (best of 3, workers=-1)")
ours_path = D / "assign_ours.f64"
if ours_path.exists():
    ours = np.fromfile(ours_path, dtype="<f8").astype(np.int64)
    same = int((ours == idx).sum())
    # Where they differ, check the distances are equal (exact ties broken differently).
    diff = np.nonzero(ours != idx)[0]
    ties = 0
    if len(diff):
        d_ours = np.einsum("ij,ij->i", pu[diff], su[ours[diff]])
        d_kd = np.einsum("ij,ij->i", pu[diff], su[idx[diff]])
        ties = int((np.abs(d_ours - d_kd) <= 1e-15).sum())
    print(f"agreement with storenet: {same:,} identical, {len(diff) - ties:,} different, {ties:,} equal-distance ties")

if "--sjoin" in sys.argv:
    import geopandas as gpd
    t = time.perf_counter()
    gp = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=4326).to_crs(3067)
    gs = gpd.GeoDataFrame(geometry=gpd.points_from_xy(sites[:, 0], sites[:, 1]), crs=4326).to_crs(3067)
    build = time.perf_counter() - t
    t = time.perf_counter()
    gpd.sjoin_nearest(gp, gs, how="left")
    print(f"RESULT geopandas sjoin_nearest: {time.perf_counter() - t:.3f} s (+ {build:.3f} s to build frames)")
