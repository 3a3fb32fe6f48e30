"""Peer for site suggestion: spopt's MCLP solved with CBC on the instance written by
`cargo bench --bench planning` (target/planning-peers/mclp_*.csv: demand cells with weights and
candidates, WGS84), great-circle distances on the same sphere. Prints CBC's objective and status,
an upper bound on the optimum, ours, and the ratios. When the instance or our objective is missing,
it writes them first by running the bench binary with PLANNING_PEER_INPUTS=1.

    spopt.py                 2,000 x 500, p = 30, D = 10 km (CBC solves it to optimality)
    spopt.py --big [--km 25] 20,000 x 3,000, p = 300, D = 10 km (or 25 km)
    --time S                 CBC's time limit in seconds (default 600)

Before CBC sees it, the instance gets the standard exact reductions of the maximal covering
problem, which change neither the optimum nor any solution's objective:
  * demand cells no candidate covers (or of weight 0) are dropped;
  * demand cells with identical coverage sets are aggregated into one row with the summed weight;
  * dominated candidates (whose covered demand is a subset of another candidate's; of identical
    ones the first is kept) are dropped, as long as at least p candidates remain;
repeated until nothing changes. The linear relaxation of the reduced model is solved as well: its
objective is an upper bound of the optimum, so ours / bound is a lower bound of ours / optimum,
and it proves the goal when CBC stops at its time limit before proving optimality."""
import os, subprocess, sys, time

# This file is named spopt.py: keep its own directory off the path so `import spopt` finds the package.
sys.path = [q for q in sys.path if os.path.abspath(q or ".") != os.path.dirname(os.path.abspath(__file__))]
from pathlib import Path
import numpy as np
import pulp
from scipy.spatial import cKDTree
from spopt.locate import MCLP

R = 6_371_008.8
D = Path(__file__).resolve().parents[2] / "target" / "planning-peers"
big = "--big" in sys.argv
km = float(sys.argv[sys.argv.index("--km") + 1]) if "--km" in sys.argv else 10.0
limit = float(sys.argv[sys.argv.index("--time") + 1]) if "--time" in sys.argv else 600.0
name, p = ("20000x3000", 300) if big else ("2000x500", 30)
ours_file = D / f"ours_{name}_p{p}_{km:g}km.txt"
# The objectives the bench writes: the small instance at 10 km, the big one at 10 and 25 km.
written = {("2000x500", 10.0), ("20000x3000", 10.0), ("20000x3000", 25.0)}
if not (D / f"mclp_{name}.csv").exists() or (not ours_file.exists() and (name, km) in written):
    # Alone: write the instances and our objectives first (the bench binary's peer-inputs mode).
    print(f"no inputs in {D}: writing them (cargo bench --bench planning, PLANNING_PEER_INPUTS=1)", flush=True)
    print(subprocess.run(["cargo", "bench", "--quiet", "--bench", "planning"], cwd=D.parents[1], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PLANNING_PEER_INPUTS": "1"}).stdout.strip(), flush=True)
inst = np.genfromtxt(D / f"mclp_{name}.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
dem = inst[inst["kind"] == "demand"]
cand = inst[inst["kind"] == "candidate"]


def units(lon, lat):
    lon, lat = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


du, cu = units(dem["lon"], dem["lat"]), units(cand["lon"], cand["lat"])
w = dem["weight"].astype(np.int64)
t0 = time.perf_counter()
# Coverage: dot >= cos(D / R), the rule storenet uses (chord search, then the exact dot test).
min_dot = np.cos(km * 1000.0 / R)
chord = np.sqrt(2 - 2 * min_dot) * (1 + 1e-9)
lists = cKDTree(du).query_ball_point(cu, r=chord)
cover = [frozenset(i for i in l if du[i] @ cu[j] >= min_dot and w[i] > 0) for j, l in enumerate(lists)]

# Reductions, to a fixpoint. rows: coverage set (frozenset of candidates) -> weight.
alive = list(range(len(cu)))
while True:
    n_alive = len(alive)
    by_demand = {}
    for j in alive:
        for i in cover[j]:
            by_demand.setdefault(i, []).append(j)
    rows = {}
    for i, js in by_demand.items():
        key = frozenset(js)
        rows[key] = rows.get(key, 0) + int(w[i])
    row_list = list(rows.items())
    # Candidate -> the aggregated rows it covers.
    cov_rows = {j: set() for j in alive}
    for r, (js, _) in enumerate(row_list):
        for j in js:
            cov_rows[j].add(r)
    keep = []
    for j in alive:
        s = cov_rows[j]
        if not s:
            dominated = True
        else:
            # Candidates covering every row j covers: the intersection of those rows' sets.
            common = None
            for r in sorted(s, key=lambda r: len(row_list[r][0])):
                common = set(row_list[r][0]) if common is None else common & row_list[r][0]
                if len(common) == 1:
                    break
            others = [k for k in common if k != j]
            # Strictly larger, or identical and earlier: j is dominated.
            dominated = any(len(cov_rows[k]) > len(s) or k < j for k in others)
        if not dominated:
            keep.append(j)
    if len(keep) < p:
        break
    alive = keep
    if len(alive) == n_alive:
        break
prep = time.perf_counter() - t0
row_js = [js for js, _ in row_list]
row_w = np.array([wt for _, wt in row_list], dtype=float)
alive = sorted(alive)
col = {j: c for c, j in enumerate(alive)}
print(f"instance {len(w):,} x {len(cu):,}, p={p}, D={km:g} km: reduced to {len(row_w):,} demand rows x "
      f"{len(alive):,} candidates in {prep:.1f} s (covered weight {row_w.sum():.0f} of {w.sum():.0f})")

# MCLP (Church & ReVelle): max sum w_r y_r, y_r <= sum of x_j over the candidates covering row r,
# sum x_j = p, x binary, y in [0, 1]. Small instances go through spopt's MCLP; spopt builds every
# row over all columns of a dense matrix (zeros included), which takes longer than CBC on 20k x 3k,
# so large ones are written sparse with pulp directly (the same model).
use_spopt = len(row_w) * len(alive) <= 5_000_000
t = time.perf_counter()
if use_spopt:
    cost = np.full((len(row_w), len(alive)), 2 * km * 1000.0)
    for r, js in enumerate(row_js):
        for j in js:
            cost[r, col[j]] = 0.0
    model = MCLP.from_cost_matrix(cost, row_w, service_radius=km * 1000.0, p_facilities=p, name="mclp")
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
    prob, xs = model.problem, model.fac_vars
else:
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    xs = [pulp.LpVariable(f"x{c}", cat="Binary") for c in range(len(alive))]
    ys = [pulp.LpVariable(f"y{r}", 0, 1) for r in range(len(row_w))]
    prob += pulp.lpSum(float(row_w[r]) * ys[r] for r in range(len(row_w)))
    for r, js in enumerate(row_js):
        prob += ys[r] <= pulp.lpSum(xs[col[j]] for j in js)
    prob += pulp.lpSum(xs) == p
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
el = time.perf_counter() - t
status = pulp.LpStatus[prob.status]
sol_status = {1: "optimal", 2: "feasible, not proven optimal", 0: "no solution", -1: "infeasible"}.get(
    prob.sol_status, str(prob.sol_status))
chosen = [alive[c] for c, var in enumerate(xs) if var.value() and var.value() > 0.5]
cbc = float(sum(wt for js, wt in row_list if any(j in js for j in chosen)))
optimal = prob.sol_status == 1
print(f"RESULT {'spopt' if use_spopt else 'pulp'} MCLP (CBC, {status}: {sol_status}, limit {limit:g} s) "
      f"{len(w):,} x {len(cu):,} p={p} D={km:g} km: objective {cbc:.0f} in {el:.2f} s (+ {prep:.1f} s reductions)")

# Linear relaxation of the reduced model: an upper bound of the optimum.
lp = pulp.LpProblem("mclp_lp", pulp.LpMaximize)
x = [pulp.LpVariable(f"x{c}", 0, 1) for c in range(len(alive))]
y = [pulp.LpVariable(f"y{r}", 0, 1) for r in range(len(row_w))]
lp += pulp.lpSum(float(row_w[r]) * y[r] for r in range(len(row_w)))
for r, js in enumerate(row_js):
    lp += y[r] <= pulp.lpSum(x[col[j]] for j in js if j in col)
lp += pulp.lpSum(x) == p
t = time.perf_counter()
lp.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit))
lp_bound = pulp.value(lp.objective) if lp.status == pulp.LpStatusOptimal else float("inf")
bound = cbc if optimal else lp_bound
print(f"RESULT LP relaxation {lp_bound:.0f} in {time.perf_counter() - t:.2f} s; upper bound on the optimum: "
      f"{bound:.0f} ({'the CBC optimum' if optimal else 'the LP relaxation'})")

if ours_file.exists():
    ours = float(ours_file.read_text())
    print(f"RESULT storenet objective {ours:.0f}; ratio storenet / CBC = {ours / cbc:.5f}; "
          f"storenet / upper bound = {ours / bound:.5f} (a lower bound of storenet / optimum)")
else:
    print(f"(no {ours_file.name}: run `cargo bench --bench planning` first)")
