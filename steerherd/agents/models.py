"""Agent response models: P(action | ω, public belief, precision).

The DP and the simulator ask an agent model only for the probability that the next agent
takes action G given the true state, the public belief b and the precision q. The public
belief stays that of an observer who knows the agent model and sees (q, a).

* :class:`Bayesian` — the paper's agents (MODEL.md §1).
* :class:`Behavioral` — weighted log-odds with agree/disagree signal weights and optional
  logit choice noise (NB1–NB3); fitted by :func:`fit_behavioral_beliefs` and
  :func:`fit_behavioral_actions` (in :mod:`steerherd.agents.fit`).
* :class:`Tabulated` — a response table P(G | ω, b, q) from data, interpolated.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from steerherd.errors import ParameterError
from steerherd.model import TIE_TOL, Params, bayes_action_probs, critical_precision
from steerherd.model.tolerances import LOGIT_CAP  # noqa: F401  (the table of tolerances)
from steerherd.types import ArrayLike, FloatArray, IntArray


@runtime_checkable
class AgentModel(Protocol):
    """What the solver and the simulator need from a model of the agents."""

    name: str

    def action_probs(
        self, b: ArrayLike, q: ArrayLike, side: IntArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """(P(a = G | ω = G, b, q), P(a = G | ω = B, b, q)).

        ``side`` marks precisions that are one-sided limits: −1 for q ↑ the switching
        precision (from below), +1 for q ↓ it (from above), 0 for q itself.
        """
        ...

    def critical_precision(self, b: ArrayLike) -> FloatArray | None:
        """Precision at which the agent switches from ignoring to following its signal, or None."""
        ...

    def breakpoints(self, params: Params) -> tuple[float, ...]:
        """Beliefs in (0, 1) where the value function may jump (carried by the belief grid)."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, stored with every result."""
        ...


class Bayesian:
    """The paper's Bayesian agents: follow the signal iff 1 − q ≤ b ≤ q (ties follow it).

    >>> gg, gb = Bayesian().action_probs(0.5, 0.8)
    >>> float(gg), float(gb)
    (0.8, 0.19999999999999996)
    """

    name = "bayesian"

    def action_probs(
        self, b: ArrayLike, q: ArrayLike, side: IntArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`AgentModel.action_probs`: q and 1 − q where 1 − q ≤ b ≤ q, else the cascade.

        Ties (q = max(b, 1 − b)) follow the signal; ``side`` resolves the one-sided limits.
        """
        b = np.asarray(b, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        return bayes_action_probs(b, q, side)  # type: ignore[no-any-return]

    def critical_precision(self, b: ArrayLike) -> FloatArray:
        """The precision max(b, 1 − b) at which a Bayesian agent starts to follow its signal."""
        return critical_precision(b)

    def breakpoints(self, params: Params) -> tuple[float, ...]:
        """:meth:`AgentModel.breakpoints`: the tie at 1/2 and the edges 1 − p and p."""
        # The tie at 1/2 makes the biased value jump there; 1 − p and p are where the free
        # precision p stops being informative.
        return tuple(sorted({1.0 - params.p, 0.5, params.p}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: ``{"model": "bayesian"}``."""
        return {"model": "bayesian"}

    def __repr__(self) -> str:
        return "Bayesian()"




def logit(x: ArrayLike) -> FloatArray:
    """log(x / (1 − x)), ±inf at 0 and 1."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out: FloatArray = np.log(x) - np.log1p(-x)
    return out


def expit(x: ArrayLike) -> FloatArray:
    """The logistic function 1 / (1 + e^-x), stable for large |x|."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    out: FloatArray = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out


def agreement(b: ArrayLike, signal_good: ArrayLike) -> FloatArray:
    """1 where the signal agrees with the public lean, 0 where it contradicts it, 1/2 at b = 1/2.

    The lean is the sign of logit(b). At b = 1/2 there is no lean, so the signal neither
    agrees nor disagrees: it gets the mean weight (w_agree + w_disagree)/2.
    """
    b = np.asarray(b, dtype=np.float64)
    s = np.where(np.asarray(signal_good, dtype=bool), 1.0, -1.0)
    lean = np.sign(b - 0.5)
    return np.where(lean == 0.0, 0.5, (lean * s > 0).astype(np.float64))


def check_probabilities(name: str, *arrays: ArrayLike) -> None:
    """Raise ParameterError unless every value is a probability in [0, 1]."""
    for arr in arrays:
        a = np.asarray(arr, dtype=np.float64)
        if a.size and a.min() >= 0.0 and a.max() <= 1.0:  # fast path (NaN fails it)
            continue
        bad = ~((a >= 0.0) & (a <= 1.0))
        if bad.any():
            raise ParameterError(
                f"agent model {name!r} gave probability {float(a[bad].flat[0])!r}; "
                "action probabilities must be in [0, 1]"
            )


class Behavioral:
    r"""A parametric non-Bayesian agent (NB1–NB3 of the LLM experiments).

    The log-odds of its private belief after a signal s of precision q at public belief b:

        ``ℓ̃ = w_prior·logit(b) + w·LLR(s)``,  ``LLR(s) = ±log(q/(1 − q))`` (+ for s = G),

    with ``w = w_agree`` when s agrees with the public lean (sign of logit(b)), ``w_disagree``
    when it contradicts it and (w_agree + w_disagree)/2 at b = 1/2, where there is no lean.
    Deterministic (``lam`` None): G if ℓ̃ > 0, B if ℓ̃ < 0, the signal on a tie. With logit
    choice noise ``lam`` > 0: P(G) = expit(ℓ̃ / lam).

    Bayesian agents are ``Behavioral(1, 1, 1)``. NB1: w_agree < 1 under-reacts to agreeing
    signals. NB2: w_disagree > 1 over-reacts to contradicting ones. NB3: the deterministic agent
    follows its signal iff ``q ≥ q*(b) = expit(w_prior·|logit b| / w_disagree)``, which is
    below max(b, 1 − b) when w_disagree > w_prior, so at precision q it cascades only once
    ``|logit b| > w_disagree·logit(q)/w_prior``: it needs a stronger public belief.

    Args:
        w_prior: weight on the public log-odds, ≥ 0.
        w_agree: weight on an agreeing signal's LLR, > 0.
        w_disagree: weight on a contradicting signal's LLR, > 0.
        lam: logit choice noise > 0, or None for the deterministic rule.

    Raises:
        ParameterError: for a weight or noise outside the ranges above.

    >>> ag = Behavioral(w_disagree=2.0)
    >>> round(float(ag.critical_precision(0.8)), 4)  # expit(log 4 / 2) = 2/3 < 0.8
    0.6667
    """

    name = "behavioral"

    def __init__(self, w_prior: float = 1.0, w_agree: float = 1.0, w_disagree: float = 1.0,
                 lam: float | None = None) -> None:
        for label, value, low in (("w_prior", w_prior, None), ("w_agree", w_agree, 0.0),
                                  ("w_disagree", w_disagree, 0.0)):
            _check_weight(label, value, strict=low is not None)
        if lam is not None:
            _check_weight("lam", lam, strict=True)
        self.w_prior = float(w_prior)
        self.w_agree = float(w_agree)
        self.w_disagree = float(w_disagree)
        self.lam = None if lam is None else float(lam)

    def weight(self, b: ArrayLike, signal_good: ArrayLike) -> FloatArray:
        """The signal's weight w(b, s): w_agree, w_disagree, or their mean at b = 1/2."""
        a = agreement(b, signal_good)
        return a * self.w_agree + (1.0 - a) * self.w_disagree

    def log_odds(self, b: ArrayLike, q: ArrayLike, signal_good: ArrayLike) -> FloatArray:
        """ℓ̃(b, q, s), with |logit b| and LLR capped at LOGIT_CAP (finite at b ∈ {0,1}, q = 1)."""
        b = np.asarray(b, dtype=np.float64)
        s = np.where(np.asarray(signal_good, dtype=bool), 1.0, -1.0)
        lb = np.clip(logit(b), -LOGIT_CAP, LOGIT_CAP)
        llr = np.clip(logit(q), -LOGIT_CAP, LOGIT_CAP)
        return self.w_prior * lb + self.weight(b, signal_good) * s * llr

    def reported_belief(self, b: ArrayLike, q: ArrayLike, signal_good: ArrayLike) -> FloatArray:
        """The private posterior P(ω = G) the agent holds: expit(ℓ̃)."""
        return expit(self.log_odds(b, q, signal_good))

    def critical_precision(self, b: ArrayLike) -> FloatArray | None:
        """q*(b) = expit(w_prior·|logit b| / w_disagree); None with choice noise."""
        if self.lam is not None:
            return None
        return self._switch(b)

    def _switch(self, b: ArrayLike) -> FloatArray:
        """The deterministic agent's switching precision (whatever ``lam`` is)."""
        b = np.asarray(b, dtype=np.float64)
        if self.w_prior == 0.0:  # ignores the public belief: always follows its signal
            return np.full(b.shape, 0.5)
        return expit(self.w_prior * np.abs(logit(b)) / self.w_disagree)

    def action_probs(
        self, b: ArrayLike, q: ArrayLike, side: IntArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`AgentModel.action_probs` of the behavioural agent.

        The deterministic agent (``lam`` None) follows its signal iff q reaches its
        switching precision (``side`` resolves the limits there); the noisy agent (logit
        choice with scale ``lam``) has no switch and ignores ``side``.
        """
        b = np.asarray(b, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        if self.lam is None:
            informative = q >= self._switch(b) - TIE_TOL
            if side is not None:
                informative = np.where(side < 0, False, np.where(side > 0, True, informative))
            cascade_good = np.where(b > 0.5, 1.0, 0.0)
            return (np.where(informative, q, cascade_good),
                    np.where(informative, 1.0 - q, cascade_good))
        return self._noisy_probs(b, q)

    def _noisy_probs(self, b: FloatArray, q: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The λ > 0 case, written out for speed (it is the simulator's inner loop)."""
        inv = 1.0 / float(self.lam)  # type: ignore[arg-type]
        with np.errstate(divide="ignore"):
            lb = np.clip(np.log(b / (1.0 - b)), -LOGIT_CAP, LOGIT_CAP) * (self.w_prior * inv)
            llr = np.clip(np.log(q / (1.0 - q)), -LOGIT_CAP, LOGIT_CAP) * inv
        mean = 0.5 * (self.w_agree + self.w_disagree)
        up, down = b > 0.5, b < 0.5
        w_sg = np.where(up, self.w_agree, np.where(down, self.w_disagree, mean))
        w_sb = np.where(up, self.w_disagree, np.where(down, self.w_agree, mean))
        with np.errstate(over="ignore"):  # exp overflow → inf → probability 0, as it should
            g_if_sg = 1.0 / (1.0 + np.exp(-(lb + w_sg * llr)))
            g_if_sb = 1.0 / (1.0 + np.exp(-(lb - w_sb * llr)))
        return q * g_if_sg + (1.0 - q) * g_if_sb, (1.0 - q) * g_if_sg + q * g_if_sb

    def breakpoints(self, params: Params) -> tuple[float, ...]:
        """:meth:`AgentModel.breakpoints`: 1/2, and q*(b) = p for the deterministic agent."""
        # The signal's weight switches at b = 1/2; the deterministic agent stops following
        # the free precision p where q*(b) = p, i.e. |logit b| = w_disagree·logit(p)/w_prior.
        points = {0.5}
        if self.lam is None and self.w_prior > 0 and params.p > 0.5:
            edge = float(expit(self.w_disagree * logit(params.p) / self.w_prior))
            if edge < 1.0:
                points |= {1.0 - edge, edge}
        return tuple(sorted(points))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: the model name and its four weights."""
        return {"model": "behavioral", "w_prior": self.w_prior, "w_agree": self.w_agree,
                "w_disagree": self.w_disagree, "lam": self.lam}

    def __repr__(self) -> str:
        return (f"Behavioral(w_prior={self.w_prior}, w_agree={self.w_agree}, "
                f"w_disagree={self.w_disagree}, lam={self.lam})")


def _check_weight(name: str, value: object, strict: bool) -> None:
    ok = (not isinstance(value, bool) and isinstance(value, int | float | np.floating | np.integer)
          and np.isfinite(float(value)) and (float(value) > 0 if strict else float(value) >= 0))
    if not ok:
        raise ParameterError(f"{name} must be a finite number {'>' if strict else '>='} 0, "
                             f"got {value!r}")


class Tabulated:
    """A response table from data: P(G | ω, b, q) on a (b, q) grid, bilinearly interpolated.

    Args:
        table: a mapping with ``b`` (increasing, from 0 to 1), ``q`` (increasing, within
            [0.5, 1]) and ``good_if_good``, ``good_if_bad``: arrays of shape (len(b), len(q))
            holding P(a = G | ω = G, b, q) and P(a = G | ω = B, b, q).
        name: a label stored with results.

    The table is continuous in b, so it adds no breakpoints; it has no switching precision
    (``critical_precision`` is None). Precisions outside the table's q range are refused.

    Raises:
        ParameterError: a missing key, a grid that is not increasing or does not cover
            b ∈ [0, 1], q outside [0.5, 1], a shape mismatch or a probability outside [0, 1].
    """

    name = "tabulated"

    def __init__(self, table: Any, name: str = "tabulated") -> None:
        missing = [k for k in ("b", "q", "good_if_good", "good_if_bad") if k not in table]
        if missing:
            raise ParameterError(f"response table lacks keys {missing}")
        self.b = _grid_axis("b", table["b"], 0.0, 1.0, cover=True)
        self.q = _grid_axis("q", table["q"], 0.5, 1.0, cover=False)
        shape = (self.b.size, self.q.size)
        arrays = []
        for key in ("good_if_good", "good_if_bad"):
            a = np.asarray(table[key], dtype=np.float64)
            if a.shape != shape:
                raise ParameterError(f"response table {key} has shape {a.shape}, expected {shape}")
            check_probabilities(name, a)
            arrays.append(a)
        self.good_if_good, self.good_if_bad = arrays
        self.label = name

    def _interp(self, table: FloatArray, b: FloatArray, q: FloatArray) -> FloatArray:
        ib, tb = _bracket(self.b, b)
        iq, tq = _bracket(self.q, q)
        top = (1 - tq) * table[ib, iq] + tq * table[ib, iq + 1]
        bot = (1 - tq) * table[ib + 1, iq] + tq * table[ib + 1, iq + 1]
        return (1 - tb) * top + tb * bot

    def action_probs(
        self, b: ArrayLike, q: ArrayLike, side: IntArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`AgentModel.action_probs` by bilinear interpolation of the table.

        ``side`` is ignored (a table has no switching precision).

        Raises:
            ParameterError: a precision outside the table's q range.
        """
        b, q = np.broadcast_arrays(np.asarray(b, dtype=np.float64), np.asarray(q, dtype=np.float64))
        outside = (q < self.q[0] - TIE_TOL) | (q > self.q[-1] + TIE_TOL)
        if outside.any():
            raise ParameterError(
                f"precision {float(q[outside].flat[0])} is outside the response table's q range "
                f"[{self.q[0]}, {self.q[-1]}]"
            )
        return self._interp(self.good_if_good, b, q), self._interp(self.good_if_bad, b, q)

    def critical_precision(self, b: ArrayLike) -> None:
        """None: a table has no switching precision."""
        return None

    def breakpoints(self, params: Params) -> tuple[float, ...]:
        """No breakpoints (the table is continuous in b), once it covers q ∈ [q_min, 1].

        Raises:
            ParameterError: the table's q range does not cover [q_min, 1].
        """
        if self.q[0] > params.q_min + TIE_TOL or self.q[-1] < 1.0 - TIE_TOL:
            raise ParameterError(
                f"the response table covers q in [{self.q[0]}, {self.q[-1]}] but the "
                f"{params.planner} planner chooses q in [{params.q_min}, 1]"
            )
        return ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: the label and the whole table, so a result can be reproduced."""
        return {"model": "tabulated", "name": self.label, "b": self.b.tolist(),
                "q": self.q.tolist(), "good_if_good": self.good_if_good.tolist(),
                "good_if_bad": self.good_if_bad.tolist()}

    def __repr__(self) -> str:
        return f"Tabulated({self.label!r}, {self.b.size}x{self.q.size})"


def _grid_axis(key: str, values: Any, lo: float, hi: float, cover: bool) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ParameterError(f"response table {key} must be an increasing list of >= 2 numbers")
    if x[0] < lo - TIE_TOL or x[-1] > hi + TIE_TOL:
        raise ParameterError(f"response table {key} must lie in [{lo}, {hi}], got "
                             f"[{x[0]}, {x[-1]}]")
    if cover and (x[0] > lo + TIE_TOL or x[-1] < hi - TIE_TOL):
        raise ParameterError(f"response table {key} must cover [{lo}, {hi}], got "
                             f"[{x[0]}, {x[-1]}]")
    return x


def _bracket(axis: FloatArray, x: FloatArray) -> tuple[IntArray, FloatArray]:
    """Lower cell index and position within the cell (x clipped to the axis)."""
    x = np.clip(x, axis[0], axis[-1])
    i = np.clip(np.searchsorted(axis, x, side="right") - 1, 0, axis.size - 2)
    t = (x - axis[i]) / (axis[i + 1] - axis[i])
    return i, t


def agent_from_dict(data: dict[str, Any] | None) -> AgentModel:
    """Rebuild an agent model from its ``to_dict`` output (None → Bayesian).

    Raises:
        ParameterError: for an unknown model name.
    """
    if not data or data.get("model") == "bayesian":
        return Bayesian()
    kind = data.get("model")
    if kind == "behavioral":
        return Behavioral(data["w_prior"], data["w_agree"], data["w_disagree"], data.get("lam"))
    if kind == "tabulated":
        return Tabulated(data, name=data.get("name", "tabulated"))
    raise ParameterError(f"unknown agent model {kind!r}; allowed: bayesian, behavioral, tabulated")
