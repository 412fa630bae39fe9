"""steerherd against QuantEcon and pymdptoolbox on the same discretisation, one process.

Each row solves the same problem (same belief grid, same candidates, same transitions built
by steerherd) and reports: wall time end to end (steerherd's transition build included for
the peers, with the peer's own solve time beside it), max |ΔV| against steerherd's numpy
PI, and the peak memory tracemalloc sees (numpy and scipy buffers; not XLA's or numba's).
Compilation (JAX's jit, QuantEcon's numba) is done on a small warm-up first and excluded.

    python benchmarks/bench_peers.py                 # 501 and 2001 beliefs x 401 precisions
    python benchmarks/bench_peers.py --large         # also 8001 beliefs
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

import steerherd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from benchmarks._common import markdown, mdptoolbox_form, measure, sa_pairs
from steerherd import Params, SolverOptions, make_cost
from steerherd.dp.solve import build_problem

EPSILON = 1e-10
#: pymdptoolbox's _boundIter is O(S^2 A); above this many beliefs it is skipped (see doc).
MDPTOOLBOX_MAX_BELIEFS = 501
#: Partial evaluation steps of the JAX MPI (each is a cheap gather on S nodes).
JAX_MPI_STEPS = 100
COLS = ["beliefs", "solver", "time_s", "peer_solve_s", "max_abs_dV", "peak_MiB", "note"]


def _params(planner: str) -> Params:
    return Params(planner=planner, p=0.7, delta=0.9, cost=make_cost("linear", k=0.5))


def _warm_up(params: Params) -> None:
    import quantecon as qe

    tr = build_problem(params, beliefs=51, precisions=11).transitions
    s, a, r, q = sa_pairs(tr)
    ddp = qe.markov.DiscreteDP(r, q, params.delta, s, a)
    ddp.solve("policy_iteration")
    ddp.solve("value_iteration", epsilon=EPSILON)


def run_size(params: Params, beliefs: int, precisions: int, mdptoolbox: bool = True
             ) -> list[dict[str, object]]:
    """All solvers at one grid size; values compared with steerherd numpy PI."""
    import quantecon as qe

    opts = SolverOptions(epsilon=EPSILON)
    rows: list[dict[str, object]] = []
    ref, t, mem = measure(lambda: steerherd.solve(params, beliefs=beliefs, precisions=precisions,
                                                  method="pi", options=opts))
    rows.append({"solver": "steerherd numpy PI", "time_s": t, "max_abs_dV": 0.0, "peak_MiB": mem,
                 "note": f"{ref.certificate.iterations} iterations"})
    sol, t, mem = measure(lambda: steerherd.solve(params, beliefs=beliefs, precisions=precisions,
                                                  method="vi", options=opts))
    rows.append({"solver": "steerherd numpy VI", "time_s": t, "max_abs_dV": _dv(sol.V, ref.V),
                 "peak_MiB": mem, "note": f"{sol.certificate.iterations} iterations"})
    jax_opts = SolverOptions(epsilon=EPSILON, mpi_steps=JAX_MPI_STEPS)

    def jax_solve() -> steerherd.Solution:
        return steerherd.solve(params, beliefs=beliefs, precisions=precisions, method="mpi",
                               backend="jax", options=jax_opts)

    _, t_first, _ = measure(jax_solve, repeat=1)  # jit compiles once per grid shape
    sol, t, _ = measure(jax_solve)
    rows.append({"solver": "steerherd JAX MPI (x64)", "time_s": t, "max_abs_dV": _dv(sol.V, ref.V),
                 "peak_MiB": "n/a (XLA)", "note": f"{sol.certificate.iterations} iterations;"
                 f" first call with compile {t_first:.2f} s"})
    problem, t_build, mem_build = measure(lambda: build_problem(params, beliefs, precisions))
    tr = problem.transitions
    (s, a, r, q), t_conv, mem_conv = measure(lambda: sa_pairs(tr))
    ddp = qe.markov.DiscreteDP(r, q, params.delta, s, a)
    for label, method, kw in (("QuantEcon DiscreteDP PI", "policy_iteration", {}),
                              ("QuantEcon DiscreteDP VI", "value_iteration",
                               {"epsilon": EPSILON})):
        res, t, mem = measure(lambda m=method, k=kw: ddp.solve(m, **k))
        rows.append({"solver": label, "time_s": t_build + t_conv + t, "peer_solve_s": t,
                     "max_abs_dV": _dv(res.v, ref.V),
                     "peak_MiB": max(mem_build, mem_conv, mem),
                     "note": f"{res.num_iter} iterations; {r.size} SA pairs"})
    if mdptoolbox:
        rows.append(_mdptoolbox(tr, params, beliefs, ref.V, t_build, mem_build))
    return [{"beliefs": ref.grid.size, **row} for row in rows]


def _mdptoolbox(tr, params, beliefs, v_ref, t_build, mem_build):  # type: ignore[no-untyped-def]
    label = "pymdptoolbox ValueIteration"
    if beliefs > MDPTOOLBOX_MAX_BELIEFS:
        dense_gib = tr.reward.shape[1] * tr.reward.shape[0] ** 2 * 8 / 2**30
        return {"solver": label, "note": f"skipped: dense P would be {dense_gib:.0f} GiB; with"
                " sparse P its iteration bound (_boundIter) slices S*A columns, O(S^2 A)"}
    import mdptoolbox.mdp

    (mats, reward), t_conv, mem_conv = measure(lambda: mdptoolbox_form(tr))

    def run():  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vi = mdptoolbox.mdp.ValueIteration(mats, reward, params.delta, epsilon=EPSILON,
                                               max_iter=100_000)
            vi.run()
        return vi

    vi, t, mem = measure(run, repeat=1)  # a minute a call: once is enough
    return {"solver": label, "time_s": t_build + t_conv + t, "peer_solve_s": t,
            "max_abs_dV": _dv(np.asarray(vi.V), v_ref), "peak_MiB": max(mem_build, mem_conv, mem),
            "note": f"{vi.iter} iterations ({vi.time:.2f} s of them); sparse P, one matrix per"
            " candidate; the rest is its iteration bound"}


def _dv(v: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(np.asarray(v) - ref).max())


def main(argv: list[str] | None = None) -> None:
    """Print the markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[501, 2001])
    ap.add_argument("--large", action="store_true", help="also 8001 beliefs")
    ap.add_argument("--precisions", type=int, default=401)
    ap.add_argument("--planner", choices=["altruistic", "biased"], default="altruistic")
    ap.add_argument("--no-mdptoolbox", action="store_true", help="skip pymdptoolbox (slow)")
    args = ap.parse_args(argv)
    sizes = [*args.sizes, *([8001] if args.large else [])]
    params = _params(args.planner)
    _warm_up(params)
    rows = []
    for n in sizes:
        rows += run_size(params, n, args.precisions, not args.no_mdptoolbox)
    print(f"planner={params.planner} p={params.p} delta={params.delta} cost=linear k=0.5, "
          f"{args.precisions} precisions (+5 exact candidates), epsilon={EPSILON}\n")
    print(markdown(rows, COLS))


if __name__ == "__main__":
    main()
