"""Posteriors, the tie condition, error probabilities and the martingale property (MODEL.md §1).

Derives with sympy, prints and asserts:

1. the private posteriors b̃_G, b̃_B after a signal of precision q;
2. the agent follows its signal (ties included) ⇔ 1 − q ≤ b ≤ q;
3. P(a ≠ ω | b, q) = min(b, 1 − b, 1 − q), region by region;
4. P(a = B | b, q) = 0 if b > q, 1 if b < 1 − q, else b(1 − q) + (1 − b)q;
5. the public belief is a martingale: E[b' | b] = b, also in a cascade;

and checks each formula against :mod:`steerherd.model` on random points.

Run: ``python theory/beliefs.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import sympy as sp

b, q, t = sp.symbols("b q t", real=True)
HALF = sp.Rational(1, 2)
Say = Callable[..., object]


def posteriors() -> tuple[sp.Expr, sp.Expr]:
    """(b̃_G, b̃_B) by Bayes' rule."""
    post_g = q * b / (q * b + (1 - q) * (1 - b))
    post_b = (1 - q) * b / ((1 - q) * b + q * (1 - b))
    return post_g, post_b


def tie_condition(say: Say) -> None:
    """b̃_G ≥ 1/2 ⇔ b ≥ 1 − q and b̃_B ≤ 1/2 ⇔ b ≤ q (denominators are positive)."""
    post_g, post_b = posteriors()
    num_g = sp.factor(sp.numer(sp.together(post_g - HALF)))
    num_b = sp.factor(sp.numer(sp.together(HALF - post_b)))
    say(f"  2·den·(b̃_G − 1/2) = {num_g}   ≥ 0  ⇔  b ≥ 1 − q")
    say(f"  2·den·(1/2 − b̃_B) = {num_b}   ≥ 0  ⇔  b ≤ q")
    assert sp.expand(num_g - (b + q - 1)) == 0
    assert sp.expand(num_b - (q - b)) == 0
    # The follow-the-signal set is the interval [1 − q, q], non-empty since q ≥ 1/2.
    sol_g = sp.solve_univariate_inequality(b + q - 1 >= 0, b, relational=False)
    say(f"  b̃_G ≥ 1/2 for b in {sol_g}")


def error_probability(say: Say) -> None:
    """P(a ≠ ω) region by region equals min(b, 1 − b, 1 − q)."""
    # Informative, b = (1 − q) + t(2q − 1), t ∈ [0, 1]: the agent errs iff its signal does.
    b_inf = (1 - q) + t * (2 * q - 1)
    err_inf = sp.simplify(b_inf * (1 - q) + (1 - b_inf) * (1 - q))
    say(f"  informative: P(a≠ω) = b(1−q) + (1−b)(1−q) = {err_inf}")
    say(f"    b − (1−q) = {sp.factor(b_inf - (1 - q))} ≥ 0, (1−b) − (1−q) ="
        f" {sp.factor((1 - b_inf) - (1 - q))} ≥ 0  ⇒ min = 1 − q")
    assert sp.simplify(err_inf - (1 - q)) == 0
    say("  G cascade (b > q ≥ 1/2): a = G, wrong iff ω = B: P = 1 − b; 1 − b < 1 − q and"
        " 1 − b < b ⇒ min = 1 − b")
    say("  B cascade (b < 1 − q ≤ 1/2): a = B, wrong iff ω = G: P = b; b < 1 − q and"
        " b < 1 − b ⇒ min = b")


def prob_bad_action() -> sp.Expr:
    """P(a = B) when informative: the signal is B."""
    return sp.expand(b * (1 - q) + (1 - b) * q)


def martingale(say: Say) -> None:
    """P_G·b̃_G + (1 − P_G)·b̃_B − b simplifies to 0."""
    post_g, post_b = posteriors()
    p_g = b * q + (1 - b) * (1 - q)
    drift = sp.simplify(p_g * post_g + (1 - p_g) * post_b - b)
    say(f"  P(s=G) = {sp.expand(p_g)};  E[b'] − b = {drift}  (in a cascade b' = b: drift 0)")
    assert drift == 0


def numeric_check(rng: np.random.Generator, n: int = 2000) -> float:
    """Largest gap between the sympy formulas and steerherd.model on random (b, q)."""
    from steerherd import model

    bs, qs = rng.uniform(0, 1, n), rng.uniform(0.5, 1, n)
    post_g, post_b = (sp.lambdify((b, q), e, "numpy") for e in posteriors())
    informative = (bs >= 1 - qs) & (bs <= qs)
    err = np.where(informative, 1 - qs, np.where(bs > qs, 1 - bs, bs))
    bad = np.where(informative, sp.lambdify((b, q), prob_bad_action())(bs, qs),
                   np.where(bs > qs, 0.0, 1.0))
    gaps = [
        np.abs(post_g(bs, qs) - model.posterior_good(bs, qs)).max(),
        np.abs(post_b(bs, qs) - model.posterior_bad(bs, qs)).max(),
        np.abs(err - model.prob_error(bs, qs)).max(),
        np.abs(bad - model.prob_action_bad(bs, qs)).max(),
        float(np.any(informative != model.is_informative(bs, qs))),
    ]
    return float(max(gaps))


def main(argv: list[str] | None = None) -> int:
    """Print the derivations and assert them; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="assert only, print nothing")
    parser.add_argument("--seed", type=int, default=0, help="seed of the numerical check")
    args = parser.parse_args(argv)
    say = (lambda *_: None) if args.quiet else print
    post_g, post_b = posteriors()
    say(f"posteriors: b̃_G = {post_g},  b̃_B = {post_b}")
    say("follows its signal (ties too) ⇔ b̃_G ≥ 1/2 and b̃_B ≤ 1/2:")
    tie_condition(say)
    say("P(a ≠ ω | b, q) = min(b, 1 − b, 1 − q):")
    error_probability(say)
    say(f"P(a = B | b, q) = {prob_bad_action()} where informative; 0 if b > q; 1 if b < 1 − q")
    say("martingale:")
    martingale(say)
    gap = numeric_check(np.random.default_rng(args.seed))
    say(f"numerical check against steerherd.model on 2000 random (b, q): max gap {gap:.2e}")
    assert gap < 1e-12, gap  # float64 evaluation of the same rational functions
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
