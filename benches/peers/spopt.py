"""Peer for site suggestion: spopt's MCLP solved to optimality with CBC on the instance written by
`cargo bench --bench planning` (target/planning-peers/mclp_2000x500.csv: demand cells with weights
and candidates, WGS84), p = 30, D = 10 km, great-circle distances on the same sphere. Prints CBC's
objective, ours, and the ratio.  `--big` runs the 20,000 × 3,000, p = 300, D = 10 km instance."""
import os, sys, time

# This file is named spopt.py: keep its own directory off the path so `import spopt` finds the package.
sys.path = [q for q in sys.path if os.path.abspath(q or ".") != os.path.dirname(os.path.abspath(__file__))]
from pathlib import Path
import numpy as np
import pulp
from spopt.locate import MCLP

R = 6_371_008.8
D = Path(__file__).resolve().parents[2] / "target" / "planning-peers"
big = "--big" in sys.argv
name, p, km = ("20000x3000", 300, 10.0) if big else ("2000x500", 30, 10.0)
inst = np.genfromtxt(D / f"mclp_{name}.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
dem = inst[inst["kind"] == "demand"]
cand = inst[inst["kind"] == "candidate"]


def units(lon, lat):
    lon, lat = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


du, cu = units(dem["lon"], dem["lat"]), units(cand["lon"], cand["lat"])
chord = np.sqrt(np.clip(2 - 2 * du @ cu.T, 0, None))
dist = 2 * R * np.arcsin(np.clip(chord / 2, 0, 1))  # great-circle metres, demand × candidates
w = dem["weight"].astype(float)
t = time.perf_counter()
model = MCLP.from_cost_matrix(dist, w, service_radius=km * 1000.0, p_facilities=p, name="mclp")
model = model.solve(pulp.PULP_CBC_CMD(msg=False))
el = time.perf_counter() - t
status = pulp.LpStatus[model.problem.status]
covered = np.zeros(len(w), dtype=bool)
for j, var in enumerate(model.fac_vars):
    if var.value() and var.value() > 0.5:
        covered |= dist[:, j] <= km * 1000.0
cbc = float(w[covered].sum())
print(f"RESULT spopt MCLP (CBC, {status}) {len(w):,} x {len(cu):,} p={p} D={km:g} km: objective {cbc:.0f} in {el:.2f} s")
ours_file = D / f"ours_{name}_p{p}_{km:g}km.txt"
if ours_file.exists():
    ours = float(ours_file.read_text())
    print(f"RESULT storenet objective {ours:.0f}; ratio storenet / CBC = {ours / cbc:.5f}")
else:
    print(f"(no {ours_file.name}: run `cargo bench --bench planning` first)")
