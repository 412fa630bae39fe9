"""Theorem 1: the myopic (δ = 0) altruistic planner, for a general concave β and two families.

Derivation (printed and asserted with sympy). By the symmetry b ↔ 1 − b of
r_A(b, q) = −β(q − p) − C·min(b, 1 − b, 1 − q), take b ≤ 1/2. For q ∈ [p, 1]:

* q ≤ 1 − b: the loss is b whatever q, so q = p is best there;
* q ≥ max(p, 1 − b): R(q) = −β(q − p) − C(1 − q) with R'' = −β'' ≥ 0 (β concave): R is
  convex, so its maximum is at an end, q₀ = max(p, 1 − b) or 1; and R(1 − b) = −β(1 − b − p)
  − Cb ≤ R(p) = −Cb.

So q* ∈ {p, 1}, and R(1) − R(p) = C·min(b, 1 − p) − β(1 − p): invest iff
β(1 − p) < C·min(b, 1 − p), i.e. iff β(1 − p) < C(1 − p) and b > t_M = β(1 − p)/C
(mirrored: b < 1 − t_M); otherwise t_M = 1/2. Ties (b = t_M) go to the baseline.

Linear β = kx: t_M = k(1 − p)/C when k < C, else 1/2.
Power β = kx^α: t_M = k(1 − p)^α/C when k < C(1 − p)^(1−α), else 1/2.

The closed form is checked against ``steerherd.structure.myopic_threshold`` and against
δ = 0 numerical solves (every node's value and choice) on a grid of (p, k).

Run: ``python theory/thm1_myopic_altruistic.py``.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import sympy as sp

b, q, p, C, k, alpha, x = sp.symbols("b q p C k alpha x", positive=True)
beta = sp.Function("beta")


def derive(say: object = print) -> sp.Expr:
    """The general derivation; returns R(1) − R(p) on b ≤ 1 − p as an expression in b."""
    out = say if callable(say) else print
    r_high = -beta(q - p) - C * (1 - q)
    second = sp.diff(r_high, q, 2)
    out(f"  on q ≥ max(p, 1−b): R(q) = {r_high},  R'' = {second}  (≥ 0 for concave β)")
    assert sp.simplify(second + sp.diff(beta(q - p), q, 2)) == 0
    at_crit = r_high.subs(q, 1 - b)
    out(f"  R(1 − b) = {sp.simplify(at_crit)} ≤ R(p) = −C·b  (β ≥ 0)")
    assert sp.simplify(at_crit - (-beta(1 - b - p) - C * b)) == 0
    gain_low = sp.simplify(r_high.subs(q, 1) - (-C * b))       # b ≤ 1 − p
    gain_high = sp.simplify(r_high.subs(q, 1) - (-C * (1 - p)))  # 1 − p ≤ b ≤ 1/2
    out(f"  R(1) − R(p) = {gain_low} (b ≤ 1−p),  {gain_high} (1−p ≤ b ≤ 1/2)")
    t_m = sp.solve(sp.Eq(gain_low.subs(beta(0), 0), 0), b)
    out(f"  root in b: t_M = {t_m}; invest iff b > t_M and β(1 − p) < C(1 − p)")
    assert t_m == [beta(1 - p) / C]
    return gain_low


def families(say: object = print) -> dict[str, sp.Expr]:
    """t_M for the linear and power costs (where t_M < 1/2 can hold)."""
    out = say if callable(say) else print
    lin = sp.simplify((k * x).subs(x, 1 - p) / C)
    pw = sp.simplify((k * x**alpha).subs(x, 1 - p) / C)
    gap = sp.symbols("s", positive=True)  # s = 1 − p > 0
    cond_lin = sp.solve_univariate_inequality(k * gap < C * gap, k)
    out(f"  linear: t_M = {lin}  when {cond_lin}, else 1/2")
    out(f"  power:  t_M = {pw}  when k < C(1 − p)^(1 − α), else 1/2")
    return {"linear": lin, "power": pw}


def check_numerically(beliefs: int, precisions: int) -> tuple[int, float]:
    """Compare the closed form with δ = 0 solves on a (p, k) grid; (instances, worst margin)."""
    from steerherd import LinearCost, Params, PowerCost, solve
    from steerherd.structure import myopic_threshold
    from steerherd.theory.theorems import check_myopic_altruistic

    worst, count = np.inf, 0
    for pv, kv, fam in itertools.product(np.linspace(0.55, 0.95, 5), np.linspace(0.1, 2.0, 5),
                                         ("linear", "power")):
        cost = LinearCost(kv) if fam == "linear" else PowerCost(kv, 0.5)
        par = Params(planner="altruistic", p=float(pv), delta=0.0, cost=cost)
        expect = kv * (1 - pv) ** (1.0 if fam == "linear" else 0.5)
        expect = expect if expect < 1 - pv else 0.5
        assert abs(myopic_threshold(par) - expect) < 1e-15
        res = check_myopic_altruistic(solve(par, beliefs=beliefs, precisions=precisions))
        assert res.passed, (fam, pv, kv, res.details)
        worst, count = min(worst, res.margin), count + 1
    return count, float(worst)


def main(argv: list[str] | None = None) -> int:
    """Print the derivation, assert it, check it numerically; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="assert only, print nothing")
    parser.add_argument("--beliefs", type=int, default=201, help="grid of the numerical check")
    parser.add_argument("--precisions", type=int, default=51)
    args = parser.parse_args(argv)
    say = (lambda *_: None) if args.quiet else print
    say("Theorem 1 (δ = 0, altruistic), b ≤ 1/2 by symmetry:")
    derive(say)
    families(say)
    n, worst = check_numerically(args.beliefs, args.precisions)
    say(f"numerical check: {n} δ=0 solves ({args.beliefs} beliefs × {args.precisions} precisions)"
        f" equal the closed form at every node; worst margin {worst:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
