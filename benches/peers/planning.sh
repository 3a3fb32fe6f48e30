#!/usr/bin/env bash
# Runs the planning peers (SciPy cKDTree assignment, spopt MCLP with CBC) next to our criterion
# benches. assign.py times our assignment and cKDTree in the same run; spopt.py bounds CBC by
# CBC_TIME seconds on the 20k x 3k instances and reports the LP bound. Creates a venv under
# target/ on first use; needs python3 with venv and PyPI access.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${PLANNING_VENV:-target/peers-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet numpy scipy pulp spopt geopandas
fi
PY="$VENV/bin/python"
mkdir -p target/planning-peers
case "${1:-all}" in
  install) exit 0 ;;
  assign)  "$PY" benches/peers/assign.py "${@:2}" ;;
  spopt)   "$PY" benches/peers/spopt.py "${@:2}" ;;
  all)
    cargo bench --bench planning
    "$PY" benches/peers/assign.py
    "$PY" benches/peers/spopt.py
    "$PY" benches/peers/spopt.py --big --km 10 --time "${CBC_TIME:-600}"
    "$PY" benches/peers/spopt.py --big --km 25 --time "${CBC_TIME:-600}"
    ;;
  *) echo "usage: $0 [install|assign|spopt|all]" >&2; exit 2 ;;
esac
