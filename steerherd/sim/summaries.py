r"""The one welfare definition, mean/SE helper and row shape, shared by simulations and LLM runs.

**Welfare** of a run is C × (number of agents whose action equals ω): the agents' total
utility (0 when right, −C when wrong) shifted by C per agent so that it is positive.
**Expenditure** of a run is the planner's undiscounted spend Σᵢ β(|qᵢ − p|). Both are reported
against the **no-control baseline** (every agent gets the free precision p; same kind of
agents, same true state ω, same random numbers where the runs are paired):

* ``welfare_pct     = 100 · E[W_policy] / E[W_baseline]`` — 100 is the baseline, below 100
  the policy lost welfare ("welfare cut by x %" is 100 − welfare_pct);
* ``expenditure_pct = 100 · E[S_policy] / E[W_baseline]`` — the planner's spend in units of
  what the baseline's agents earn (the baseline spends nothing, so a ratio to its own
  expenditure does not exist).

Both have the same denominator, the baseline's mean welfare; where it is 0 (every baseline
agent wrong) a percentage is undefined and reported as NaN with that reason.

Standard errors come from the delta method on the ratio of means: paired runs (common random
numbers, equal counts) use se(X̄/Ȳ) ≈ sd(X − R·Y) / (√n · |Ȳ|), R = X̄/Ȳ; unpaired runs use
√(se(X̄)² + R² se(Ȳ)²) / |Ȳ|.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np
from numpy.typing import ArrayLike

#: Plain-words definitions stored beside every table that uses them.
DEFINITIONS = {
    "welfare": "C x (number of agents whose action equals the true state)",
    "expenditure": "undiscounted planner spend, sum of beta(|q_i - p|)",
    "baseline": "no control: every agent gets the free precision p; same agents, state and "
                "random numbers",
    "welfare_pct": "100 * E[welfare] / E[baseline welfare]",
    "expenditure_pct": "100 * E[expenditure] / E[baseline welfare]",
    "se": "delta method on the ratio of means (paired runs where they share random numbers)",
}

#: Why a percentage is missing when the baseline's welfare is 0.
NO_BASELINE = "baseline welfare is 0 (every baseline agent wrong): % undefined"


class WelfareRow(TypedDict, total=False):
    """The one row shape of a welfare table (simulations and LLM runs alike).

    Keys: ``setting, planner, horizon, state`` name the cell; ``runs`` the number of runs;
    ``baseline_mean`` E[W_baseline] (welfare as defined here); ``welfare_pct`` and
    ``expenditure_pct`` with their ``_se``; ``note`` says why a percentage is NaN.
    Producers may add further keys.
    """

    setting: str
    planner: str
    horizon: str
    state: str
    runs: int
    baseline_mean: float
    welfare_pct: float
    welfare_pct_se: float
    expenditure_pct: float
    expenditure_pct_se: float
    note: str


def mean_se(x: ArrayLike) -> tuple[float, float]:
    """Mean and standard error sd/√n (ddof 1) of a sample; NaN where undefined.

    >>> mean_se([1.0, 2.0, 3.0])
    (2.0, 0.5773502691896258)
    >>> mean_se([4.0])
    (4.0, nan)
    """
    a = np.asarray(x, dtype=np.float64).ravel()
    if a.size == 0:
        return math.nan, math.nan
    se = float(a.std(ddof=1) / math.sqrt(a.size)) if a.size > 1 else math.nan
    return float(a.mean()), se


def ratio_se(x: ArrayLike, y: ArrayLike, paired: bool = True,
             x_ids: Sequence[Any] | None = None, y_ids: Sequence[Any] | None = None
             ) -> tuple[float, float]:
    """X̄/Ȳ and its delta-method standard error, Ȳ's sampling error included (NaN if Ȳ = 0).

    Var(X̄/Ȳ) ≈ (Var X̄ + R² Var Ȳ − 2R Cov(X̄, Ȳ)) / Ȳ². The covariance comes from runs
    that share their random numbers: all of them when ``paired`` (equal lengths), or those
    whose ids appear in both ``x_ids`` and ``y_ids`` (runs dropped from one side leave the
    rest paired); otherwise the two means are independent.

    Args:
        x: per-run values of the numerator.
        y: per-run values of the denominator.
        paired: the i-th x and y share their random numbers (then len(x) == len(y)).
        x_ids: run ids of x; with ``y_ids`` they decide the pairing.
        y_ids: run ids of y.

    >>> ratio_se([2.0, 4.0], [1.0, 2.0])
    (2.0, 0.0)
    """
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if ya.size == 0 or xa.size == 0:
        return math.nan, math.nan
    my = float(np.mean(ya))
    if my == 0.0:
        return math.nan, math.nan
    r = float(np.mean(xa)) / my + 0.0  # + 0.0 turns −0.0 into 0.0
    if x_ids is None or y_ids is None:
        ids = list(range(xa.size)) if paired and xa.size == ya.size else None
        x_ids, y_ids = ids, ids
    if xa.size < 2 or ya.size < 2:
        return r, math.nan
    var = float(np.var(xa, ddof=1)) / xa.size + r**2 * float(np.var(ya, ddof=1)) / ya.size
    if x_ids is not None and y_ids is not None:
        where_y = {k: i for i, k in enumerate(y_ids)}
        common = [(i, where_y[k]) for i, k in enumerate(x_ids) if k in where_y]
        if len(common) >= 2:
            xc, yc = xa[[i for i, _ in common]], ya[[j for _, j in common]]
            cov = float(np.cov(xc, yc, ddof=1)[0, 1]) * len(common) / (xa.size * ya.size)
            var -= 2 * r * cov
    return r, math.sqrt(max(var, 0.0)) / abs(my)


def welfare_row(welfare: Sequence[float] | np.ndarray, spend: Sequence[float] | np.ndarray,
                baseline: Sequence[float] | np.ndarray, paired: bool = True,
                run_ids: Sequence[Any] | None = None,
                baseline_ids: Sequence[Any] | None = None, **key: Any) -> WelfareRow:
    """One :class:`WelfareRow` from per-run welfare, expenditure and baseline welfare.

    Args:
        welfare: per-run welfare C × (correct actions) under the policy.
        spend: per-run undiscounted expenditure under the policy.
        baseline: per-run welfare of the no-control baseline.
        paired: runs i of policy and baseline share their random numbers.
        run_ids: the policy runs' ids, when some runs of either side were dropped: runs with
            the same id share their random numbers (see :func:`ratio_se`).
        baseline_ids: the baseline runs' ids.
        **key: the cell's names (setting, planner, horizon, state, ...).

    >>> r = welfare_row([3.0, 3.0], [0.5, 0.5], [2.0, 2.0], setting="x")
    >>> r["welfare_pct"], r["expenditure_pct"], r["runs"]
    (150.0, 25.0, 2)
    """
    w, s, b = (np.asarray(v, dtype=np.float64) for v in (welfare, spend, baseline))
    wp, wse = ratio_se(w, b, paired, run_ids, baseline_ids)
    ep, ese = ratio_se(s, b, paired, run_ids, baseline_ids)
    row: dict[str, Any] = dict(key)
    row |= {"runs": int(w.size), "baseline_mean": mean_se(b)[0],
            "welfare_pct": 100 * wp, "welfare_pct_se": 100 * wse,
            "expenditure_pct": 100 * ep, "expenditure_pct_se": 100 * ese}
    if b.size and float(np.mean(b)) == 0.0:
        row["note"] = NO_BASELINE
    return row  # type: ignore[return-value]


class Summary(dict[str, dict[str, float]]):
    """A flat summary table: metric → {"mean", "se"}, one row per metric.

    Indexing works as for a dict (``summary["welfare"]["mean"]``); ``str()`` prints an aligned
    table, :meth:`rows` gives flat records and :meth:`to_pandas` a DataFrame (with pandas).

    >>> s = Summary({"welfare": {"mean": -3.0, "se": 0.5}})
    >>> s.rows()
    [{'metric': 'welfare', 'mean': -3.0, 'se': 0.5}]
    >>> print(s)
    metric        mean        se
    welfare         -3       0.5
    """

    def rows(self) -> list[dict[str, Any]]:
        """One flat record per metric: ``{"metric", "mean", "se"}``."""
        return [{"metric": k, "mean": v["mean"], "se": v["se"]} for k, v in self.items()]

    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` indexed by metric.

        Raises:
            ImportError: pandas is not installed (it is optional).
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas, an optional dependency: "
                              "pip install pandas") from None
        return pd.DataFrame(self.rows()).set_index("metric")

    def __str__(self) -> str:
        width = max([len("metric"), *(len(k) for k in self)])
        lines = [f"{'metric':<{width}} {'mean':>10} {'se':>9}"]
        lines += [f"{k:<{width}} {v['mean']:>10.4g} {v['se']:>9.3g}" for k, v in self.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        cells = "".join(f"<tr><td>{k}</td><td>{v['mean']:.4g}</td><td>{v['se']:.3g}</td></tr>"
                        for k, v in self.items())
        return f"<table><tr><th>metric</th><th>mean</th><th>se</th></tr>{cells}</table>"
