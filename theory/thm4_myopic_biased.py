"""Theorem 4: the myopic (δ = 0) biased planner — the full regime structure, derived.

The paper states five thresholds t₁ < 1 − p ≤ t₂ < t₃ < 1/2 ≤ t₄ ≤ t₅ < p without saying
(in the text available to us) which regime lies between which pair. This script derives it.
The planner maximises R(q) = −β(|q − p|) − C·P(a = B | b, q) over q ∈ [1/2, 1]; P(a = B) is 1
in a B cascade (b < 1 − q), 0 in a G cascade (b > q), b(1 − q) + (1 − b)q otherwise.

* b < 1 − p. q < 1 − b is a B cascade (loss C): q = p is best there. On q ≥ 1 − b,
  R' = −β' − C(1 − 2b) < 0, so q = 1 − b. Invest iff f(b) = 2Cb(1 − b) − β(1 − p − b) > 0;
  f' = 2C(1 − 2b) + β' > 0, f(0) = −β(1 − p) ≤ 0, f(1 − p) = 2Cp(1 − p) > 0: one root t₁.
* 1 − p ≤ b < 1/2. On [1 − b, p], R'' = −β''(p − q) ≥ 0: the best is an end; above p, R' < 0.
  Lower the precision to q = 1 − b (< p; the agent follows its signal on the tie) iff
  h = Cx(2p − 1 − 2x) − β(x) > 0 with x = b − (1 − p): the regime (t₂, t₃).
* b = 1/2: P(a = B) = 1/2 for every q: q = p.
* 1/2 < b ≤ p. Below b the agent herds on G (loss 0): the supremum is q ↑ b, worth −β(p − b),
  not attained (obfuscation). q = b itself is worse (loss 2Cb(1 − b) at the same cost);
  on [b, p] and on [p, 1] R is convex, so the rivals are p and 1; q = 1 never wins (shown
  below). Obfuscate iff g(b) = C(p + b − 2bp) − β(p − b) > 0; g'' = −β''(p − b) ≥ 0 so
  {g ≤ 0} is one interval [t₄, t₅] (baseline), and g(p) = 2Cp(1 − p) > 0 gives t₅ < p.
* b > p: q = p already puts the agent in a G cascade at no cost.

So the regimes are: [0, t₁) baseline; [t₁, 1−p) q = 1−b > p; [1−p, t₂] baseline;
(t₂, t₃) q = 1−b < p; [t₃, 1/2] baseline; (1/2, t₄) obfuscate; [t₄, t₅] baseline;
(t₅, p] obfuscate; (p, 1] baseline. For the linear cost t₂ = 1 − p and t₄ = 1/2 (those two
regimes are empty), t₃ = max(1 − p, 1/2 − k/2C), t₅ = clip(p(k − C)/(k + C(1 − 2p)), 1/2, p):
for k < C(2p − 1) the planner lowers precision on (1 − p, t₃) *and* obfuscates on all of
(1/2, p]; for k ≥ C(2p − 1) it does neither below 1/2 and keeps p on [1/2, t₅].

Checked against ``steerherd.structure`` (tests, thresholds) and δ = 0 numerical solves.

Run: ``python theory/thm4_myopic_biased.py``.
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from collections.abc import Callable

import numpy as np
import sympy as sp

b, q, p, C, k, x, a = sp.symbols("b q p C k x alpha", positive=True)
beta = sp.Function("beta")
Say = Callable[..., object]


def below_one_minus_p(say: Say) -> sp.Expr:
    """Case b < 1 − p; returns f(b)."""
    loss_inf = b * (1 - q) + (1 - b) * q
    r_inf = -beta(q - p) - C * loss_inf
    slope = sp.diff(r_inf, q)
    say(f"  b < 1−p, informative q ≥ 1−b: R' = {slope}  (< 0 as b < 1/2): q* = 1 − b")
    f = sp.expand(r_inf.subs(q, 1 - b) - (-C))
    say(f"  f(b) = R(1−b) − R(p) = {sp.factor(f + beta(1 - b - p))} − β(1 − p − b)")
    assert sp.simplify(f - (2 * C * b * (1 - b) - beta(1 - b - p))) == 0
    say(f"  f'(b) = {sp.diff(f, b)}  > 0: one root t1")
    lin = sp.solve(sp.Eq(f.replace(beta, lambda u: k * u), 0), b)
    t1 = min(lin, key=lambda e: e.subs({C: 1, k: 1, p: sp.Rational(7, 10)}))
    say(f"  linear: t1 = {sp.simplify(t1)}")
    return f


def lower_precision(say: Say) -> sp.Expr:
    """Case 1 − p ≤ b < 1/2; returns h(x), x = b − (1 − p)."""
    loss_inf = b * (1 - q) + (1 - b) * q
    r_low = -beta(p - q) - C * loss_inf
    say(f"  1−p ≤ b < 1/2, q ∈ [1−b, p]: R'' = {sp.diff(r_low, q, 2)}  (≥ 0): an end is best")
    h = sp.expand((r_low.subs(q, 1 - b) - r_low.subs(q, p)).subs(b, 1 - p + x))
    h = h.subs(beta(0), 0)
    say(f"  h(x) = R(1−b) − R(p) = {sp.factor(h + beta(x))} − β(x),  x = b − (1 − p)")
    assert sp.simplify(h - (C * x * (2 * p - 1 - 2 * x) - beta(x))) == 0
    h_lin = sp.factor(h.replace(beta, lambda u: k * u))
    root = sp.solve(sp.Eq(h_lin / x, 0), x)[0]
    say(f"  linear: h = {h_lin} > 0 ⇔ x < {root} ⇔ b < {sp.simplify(1 - p + root)}:"
        " t2 = 1 − p, t3 = 1/2 − k/(2C)")
    assert sp.simplify(1 - p + root - (sp.Rational(1, 2) - k / (2 * C))) == 0
    ratio = sp.expand(h.replace(beta, lambda u: k * u**a) / x)
    say(f"  power: h/x = {ratio};  (h/x)'' = {sp.factor(sp.diff(ratio, x, 2))} < 0 for α < 1:"
        " one interval (t2, t3), and h/x → −∞ as x → 0⁺ so t2 > 1 − p")
    return h


def obfuscate(say: Say) -> sp.Expr:
    """Case 1/2 < b ≤ p; returns g(b)."""
    base = C * (b * (1 - p) + (1 - b) * p)
    g = sp.expand(base) - beta(p - b)
    say(f"  1/2 < b ≤ p: sup over q < b is −β(p − b) (G cascade, not attained);"
        f" q = b loses {sp.factor(sp.expand(b * (1 - b) + (1 - b) * b))}·C more")
    say(f"  g(b) = −β(p−b) − R(p) = {g};  g'' = {sp.diff(g, b, 2)} ≥ 0: {{g ≤ 0}} = [t4, t5]")
    g_lin = sp.expand(g.replace(beta, lambda u: k * u))
    root = sp.solve(sp.Eq(g_lin, 0), b)[0]
    say(f"  linear: g = {sp.collect(g_lin, b)} (slope {sp.diff(g_lin, b)}): root {root};"
        " t4 = 1/2, t5 = clip(root, 1/2, p) if k > C(2p − 1) else 1/2")
    assert sp.simplify(g.subs(b, p).subs(beta(0), 0) - 2 * C * p * (1 - p)) == 0
    return g


def full_never_wins(rng: np.random.Generator, n: int = 20000) -> int:
    """q = 1 is never strictly better than max(p, q ↑ b) on (1/2, p) for concave β.

    Proof: full beats p iff β(1 − p) < C(1 − p)(2b − 1); full beats q ↑ b iff
    β(p − b) − β(1 − p) > C(1 − b). β(x)/x decreasing gives β(p − b) − β(1 − p) ≤
    β(1 − p)(2p − 1 − b)/(1 − p) < C(2b − 1)(2p − 1 − b) < C(1 − b). Checked on random draws.
    """
    fails = 0
    for _ in range(n):
        pv, cv = rng.uniform(0.51, 0.99), rng.uniform(0.2, 3.0)
        bv = rng.uniform(0.5, pv)
        kv, av = rng.uniform(0, 4), rng.uniform(0.05, 1.0)
        full = -kv * (1 - pv) ** av - cv * (1 - bv)
        best = max(-cv * (bv * (1 - pv) + (1 - bv) * pv), -kv * (pv - bv) ** av)
        fails += full > best + 1e-12
    return fails


def check_numerically(beliefs: int, precisions: int) -> tuple[int, Counter[str]]:
    """δ = 0 solves on a (p, k) grid equal the closed form at every node; regime census."""
    from steerherd import LinearCost, Params, PowerCost, solve
    from steerherd.structure import _thresholds_by_roots, myopic_biased_thresholds
    from steerherd.theory.theorems import check_myopic_biased

    census: Counter[str] = Counter()
    count = 0
    grid = itertools.product(np.linspace(0.55, 0.95, 5), np.linspace(0.1, 2.0, 5),
                             ("linear", "power0.5", "power0.3"))
    for pv, kv, fam in [*grid, (0.9, 0.78, "power0.5")]:
        cost = LinearCost(kv) if fam == "linear" else PowerCost(kv, float(fam[5:]))
        par = Params(planner="biased", p=float(pv), delta=0.0, cost=cost)
        thr = myopic_biased_thresholds(par)
        order = [thr["t1"], 1 - pv, thr["t2"], thr["t3"], 0.5, thr["t4"], thr["t5"], pv]
        assert all(u <= v + 1e-12 for u, v in zip(order, order[1:], strict=False)), (fam, thr)
        if fam == "linear":  # the closed forms equal the roots of f, h, g
            roots = _thresholds_by_roots(par)
            assert all(abs(roots[n] - thr[n]) < 1e-9 for n in thr), (thr, roots)
        res = check_myopic_biased(solve(par, beliefs=beliefs, precisions=precisions))
        assert res.passed, (fam, pv, kv, res.details)
        census.update(n for n, ok in (("(t2,t3) lower", thr["t3"] > thr["t2"] + 1e-9),
                                      ("(1/2,t4) obfuscate", thr["t4"] > 0.5 + 1e-9),
                                      ("[t4,t5] baseline", thr["t5"] > thr["t4"] + 1e-9),
                                      ("t2 > 1-p", thr["t2"] > 1 - pv + 1e-9)) if ok)
        census[f"{fam} instances"] += 1
        count += 1
    return count, census


def main(argv: list[str] | None = None) -> int:
    """Print the derivation, assert it, check it numerically; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="assert only, print nothing")
    parser.add_argument("--beliefs", type=int, default=201, help="grid of the numerical check")
    parser.add_argument("--precisions", type=int, default=51)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    say: Say = (lambda *_: None) if args.quiet else print
    say("Theorem 4 (δ = 0, biased):")
    below_one_minus_p(say)
    lower_precision(say)
    say("  b = 1/2: P(a = B) = 1/2 for every q: q* = p")
    obfuscate(say)
    fails = full_never_wins(np.random.default_rng(args.seed))
    say(f"  q = 1 never optimal on (1/2, p): {fails} counterexamples in 20000 power-cost draws")
    assert fails == 0
    say("regimes: [0,t1) p | [t1,1-p) 1-b>p | [1-p,t2] p | (t2,t3) 1-b<p | [t3,1/2] p |"
        " (1/2,t4) b-0 | [t4,t5] p | (t5,p] b-0 | (p,1] p")
    n, census = check_numerically(args.beliefs, args.precisions)
    say(f"numerical check: {n} δ=0 solves ({args.beliefs}×{args.precisions}) equal the closed"
        f" form at every node; census: {dict(census)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
