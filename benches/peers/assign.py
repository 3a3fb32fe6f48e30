"""Peer for the nearest-outlet assignment: SciPy cKDTree on 3-D unit vectors (exact great-circle
order), both cores (workers=-1), on the points and outlets written by `cargo bench --bench planning`
to target/planning-peers/. When they are missing the script writes them first, by running the bench
binary with PLANNING_PEER_INPUTS=1 (it writes the peers' inputs and exits), so it also runs alone.
Our side is the same bench binary with PLANNING_ASSIGN_ONLY=3, timed in the same run: the script
alternates ours and cKDTree for --rounds rounds (default 3, each side best of 3 inside a round), so
both see the same machine load, and prints both, the ratio per round and best against best, and
the agreement of the assignments.
With --sjoin, also GeoPandas sjoin_nearest in EPSG:3067 (planar, so not exactly great-circle)."""
import os, subprocess, sys, time
from pathlib import Path
import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[2]
D = ROOT / "target" / "planning-peers"
rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3


def units(lonlat):
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    cl = np.cos(lat)
    return np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])


def ckdtree():
    best, idx = None, None
    for _ in range(3):
        t = time.perf_counter()
        tree = cKDTree(su)
        _, idx = tree.query(pu, k=1, workers=-1)
        el = time.perf_counter() - t
        best = el if best is None else min(best, el)
    return best, idx


def bench(**env):
    """Runs the planning bench binary with extra environment (it builds it first if needed)."""
    return subprocess.run(["cargo", "bench", "--quiet", "--bench", "planning"], cwd=ROOT, check=True,
                          capture_output=True, text=True, env={**os.environ, **env}).stdout


def ours():
    out = bench(PLANNING_ASSIGN_ONLY="3")
    return float(dict(l.split("=", 1) for l in out.split() if "=" in l)["ours_s"])


if not all((D / f).exists() for f in ("assign_points.f64", "assign_sites.f64")):
    print(f"no inputs in {D}: writing them (cargo bench --bench planning, PLANNING_PEER_INPUTS=1)", flush=True)
    print(bench(PLANNING_PEER_INPUTS="1").strip(), flush=True)
pts = np.fromfile(D / "assign_points.f64", dtype="<f8").reshape(-1, 2)
sites = np.fromfile(D / "assign_sites.f64", dtype="<f8").reshape(-1, 2)
pu, su = units(pts), units(sites)
print(f"{len(pts):,} points -> {len(sites):,} outlets; load average {os.getloadavg()[0]:.1f} at start")
bo, bk = float("inf"), float("inf")
for r in range(rounds):
    o = ours()
    k, idx = ckdtree()
    bo, bk = min(bo, o), min(bk, k)
    print(f"round {r + 1}: storenet {o:.3f} s, cKDTree {k:.3f} s: {k / o:.2f}x  (load {os.getloadavg()[0]:.1f})")
print(f"RESULT assign {len(pts):,} points -> {len(sites):,} outlets: storenet {bo:.3f} s, "
      f"cKDTree {bk:.3f} s (workers=-1), best against best {bk / bo:.2f}x; load average {os.getloadavg()[0]:.1f}")

ours_idx = np.fromfile(D / "assign_ours.f64", dtype="<f8").astype(np.int64)
same = int((ours_idx == idx).sum())
# Where they differ, check the distances are equal (exact ties broken differently).
diff = np.nonzero(ours_idx != idx)[0]
ties = 0
if len(diff):
    d_ours = np.einsum("ij,ij->i", pu[diff], su[ours_idx[diff]])
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
