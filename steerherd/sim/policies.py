r"""Stationary policies b → (q, side) for simulation and exact statistics.

Any of these becomes a :class:`PolicyRule` through :func:`make_policy`:

=====================  ==========================================================
input                  policy
=====================  ==========================================================
a ``Solution``         ``sol.policy(b)`` with its modes and limit semantics (below)
a number               that constant precision (``params.p`` is the no-control baseline)
``"baseline"``         q = p for everyone (no control)
``"full"``             q = 1 for everyone
``"myopic"``           Theorem 1's myopic altruistic policy (closed form)
a ``PolicyTable``      (b, q) points covering [0, 1], linearly interpolated
a mapping              ``{"b": [...], "q": [...]}``: a PolicyTable
a callable             b ↦ q, vectorised over a numpy array of beliefs
=====================  ==========================================================

**Limits.** A Solution may choose a supremum that no precision attains: q ↑ m (mode
``obfuscate``, side −1) or q ↓ m (modes ``escape``/``tip``, side +1), where m is the
switching precision of the agent model the Solution was solved for, or, against a
non-Bayesian agent, q → max(b, 1 − b) from either side (``escape``/``tip``: a successor
lands on 1/2 ± 0). Such a choice is simulated as the limit, not as m itself:

* the side is handed to the simulated agent model, which takes the limit of its behaviour
  (q ↑ m: the agent ignores its signal and cascades; q ↓ m: it follows its signal), but
  only where q is also the *simulated* agent's own switching precision; elsewhere its
  behaviour is continuous in q and the side does not matter (this is what the hybrid
  cell needs: a limit taken for Bayesian agents is an ordinary precision to others);
* when the action moves the belief, the successors are themselves one-sided limits
  (b'_G moves with q, b'_B against it), represented as b'_G + side·ETA and b'_B − side·ETA,
  the same proxy the belief grid uses for its one-sided nodes (ETA = 1e-9).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from steerherd.agents import AgentModel
from steerherd.dp.bellman import CROSS_KINDS, KIND_ABOVE, KIND_GRID, KIND_REFINED, KIND_SIDE
from steerherd.dp.grid import ETA, SNAP_TOL
from steerherd.errors import ParameterError
from steerherd.model import TIE_TOL, Params, critical_precision, successors
from steerherd.model.tolerances import SIDE_TOL  # noqa: F401  (the table of tolerances)
from steerherd.solution import Solution
from steerherd.structure import myopic_altruistic_policy
from steerherd.types import FloatArray, IntArray

RuleFn = Callable[[FloatArray], tuple[FloatArray, IntArray | None]]


@dataclass(frozen=True)
class PolicyTable:
    """A policy given as points (b_j, q_j), linearly interpolated in b.

    Raises:
        ParameterError: if b is not increasing, does not cover [0, 1], or q is outside [0.5, 1].
    """

    b: tuple[float, ...]
    q: tuple[float, ...]

    def __post_init__(self) -> None:
        b = np.asarray(self.b, dtype=np.float64)
        q = np.asarray(self.q, dtype=np.float64)
        if b.ndim != 1 or b.size < 2 or b.shape != q.shape:
            raise ParameterError("a policy table needs >= 2 points and as many q as b values")
        if not (np.all(np.isfinite(b)) and np.all(np.diff(b) > 0)):
            raise ParameterError("policy table beliefs must be finite and strictly increasing")
        if b[0] > TIE_TOL or b[-1] < 1.0 - TIE_TOL:
            raise ParameterError(f"policy table must cover beliefs [0, 1], got [{b[0]}, {b[-1]}]")
        if not np.all((q >= 0.5) & (q <= 1.0)):
            raise ParameterError("policy table precisions must be in [0.5, 1]")

    def __call__(self, b: FloatArray) -> FloatArray:
        """The tabulated precision at beliefs ``b``, linearly interpolated."""
        q: FloatArray = np.interp(b, np.asarray(self.b), np.asarray(self.q))
        return q


@dataclass(frozen=True, eq=False)
class PolicyRule:
    """A stationary policy: ``rule(b)`` gives (q, side); side None means no limits.

    Attributes:
        name: a label.
        fn: the vectorised rule.
        description: JSON-ready description stored with results.
        check: validate q ∈ [0.5, 1] at every call (user callables).
    """

    name: str
    fn: RuleFn
    description: dict[str, Any] = field(default_factory=dict)
    check: bool = False

    def __call__(self, b: FloatArray) -> tuple[FloatArray, IntArray | None]:
        """The rule's precisions at ``b`` (broadcast to b's shape) and its one-sided-limit marks.

        Raises:
            ParameterError: a checked rule returned a precision outside [0.5, 1].
        """
        q, side = self.fn(b)
        q = np.asarray(q, dtype=np.float64)
        if q.shape != np.shape(b):
            q = np.broadcast_to(q, np.shape(b))
        if self.check and not np.all((q >= 0.5) & (q <= 1.0)):
            bad = q[~((q >= 0.5) & (q <= 1.0))].flat[0]
            raise ParameterError(f"policy {self.name!r} returned precision {bad!r}; "
                                 "precisions must be in [0.5, 1]")
        return q, side


def make_policy(policy: Any, params: Params, name: str | None = None) -> PolicyRule:
    """Turn any supported policy (see the module table) into a :class:`PolicyRule`.

    Raises:
        ParameterError: for an unsupported policy or a precision outside [0.5, 1].
    """
    if isinstance(policy, PolicyRule):
        return policy
    if isinstance(policy, Solution):
        return _solution_rule(policy, name or f"solution ({policy.params.planner})")
    if isinstance(policy, str):
        return _named_rule(policy, params)
    if isinstance(policy, bool):
        raise ParameterError(f"policy must be a Solution, number, name, table or callable, "
                             f"got {policy!r}")
    if isinstance(policy, int | float | np.floating | np.integer):
        q = float(policy)
        if not 0.5 <= q <= 1.0:
            raise ParameterError(f"a constant precision must be in [0.5, 1], got {q}")
        return PolicyRule(name or f"constant {q:g}", lambda b: (np.full(b.shape, q), None),
                          {"policy": "constant", "q": q})
    if isinstance(policy, Mapping):
        if "b" not in policy or "q" not in policy:
            raise ParameterError("a policy table needs keys 'b' and 'q'")
        policy = PolicyTable(tuple(policy["b"]), tuple(policy["q"]))
    if isinstance(policy, PolicyTable):
        table = policy
        return PolicyRule(name or "table", lambda b: (table(b), None),
                          {"policy": "table", "b": list(table.b), "q": list(table.q)})
    if callable(policy):
        fn = policy
        return PolicyRule(name or str(getattr(fn, "__name__", "callable")),
                          lambda b: (np.asarray(fn(b), dtype=np.float64), None),
                          {"policy": "callable", "name": getattr(fn, "__name__", "callable")},
                          check=True)
    raise ParameterError(f"policy must be a Solution, number, name, table or callable, "
                         f"got {type(policy).__name__}")


def _named_rule(name: str, params: Params) -> PolicyRule:
    if name == "baseline":
        return make_policy(params.p, params, name="baseline")
    if name == "full":
        return make_policy(1.0, params, name="full")
    if name == "myopic":
        return PolicyRule("myopic (Theorem 1)",
                          lambda b: (myopic_altruistic_policy(params, b), None),
                          {"policy": "myopic", "params": params.to_dict()})
    raise ParameterError(f"unknown policy name {name!r}; allowed: baseline, full, myopic")


def _solution_rule(sol: Solution, name: str) -> PolicyRule:
    """``sol.policy`` with the side of its limits, from a precomputed node lookup."""
    if sol.stage_precision.size:
        raise ParameterError("a finite-horizon Solution is not stationary; simulate a "
                             "stationary (infinite-horizon) solution")
    kind = sol.kind
    interp = np.isin(kind, (KIND_GRID, KIND_REFINED))
    follows = np.isin(sol.modes, ("informative", "obfuscate")) | (kind == KIND_ABOVE)
    cross = np.isin(kind, CROSS_KINDS)
    node_side = KIND_SIDE[kind]
    qs, q_min = sol.q, sol.params.q_min
    # Lookup tables built once per rule: the simulator calls the rule once per agent on
    # every live run, so a table read beats a binary search per belief per call.
    lookup = NearestNode(sol)
    interp_q = SegmentInterpolation(sol)

    def rule(b: FloatArray) -> tuple[FloatArray, IntArray]:
        node = lookup(b)
        q = qs[node]
        grid_nodes = interp[node]
        if grid_nodes.any():
            q[grid_nodes] = interp_q(b[grid_nodes])
        fol = follows[node]
        if fol.any():  # the switching precision at b itself, not at the node's belief
            q[fol] = np.maximum(sol._critical(b[fol]), q_min)
        crs = cross[node]
        if crs.any():  # a limit at the crossing precision max(b, 1 − b) (non-Bayesian agents)
            q[crs] = np.maximum(critical_precision(b[crs]), q_min)
        return q, node_side[node]

    return PolicyRule(name, rule, {"policy": "solution", "params": sol.params.to_dict(),
                                   "agent": sol.agent})


class NearestNode:
    """``Solution._nearest`` as a table lookup: the node whose policy applies at belief b.

    The nearest node changes only at cut points: the midpoints between neighbouring node
    positions and x ± SNAP_TOL around each breakpoint x (where the point's own node applies).
    A table over 2^16 equal cells of [0, 1] gives the node directly in cells that hold no cut;
    beliefs in the few cells that do are resolved by a binary search over the cuts.
    """

    # 2^16 cells: far more than grid nodes (≈10^3 by default), so almost every cell holds
    # no cut and needs no search, for a table of only 512 KiB.
    CELLS = 1 << 16

    def __init__(self, sol: Solution) -> None:
        pos, side, size = sol.grid.position, sol.grid.side, sol.grid.size
        cuts: list[float] = []
        nodes: list[int] = [0]
        i = 0
        while i < size - 1:
            j = i + 1
            if pos[j] == pos[i]:  # a breakpoint triple at x: nodes i (x−), i+1 (x), i+2 (x+)
                x = float(pos[i])
                cuts += [x - SNAP_TOL, x + SNAP_TOL]
                nodes += [i + 1, i + 2]
                i += 2
                continue
            cuts.append(0.5 * (float(pos[i]) + float(pos[j])))  # b ≤ mid → i, b > mid → j
            nodes.append(j)
            i = j
        del side
        self.cuts = np.asarray(cuts)
        self.nodes = np.asarray(nodes, dtype=np.int64)
        edges = np.arange(self.CELLS + 1) / self.CELLS
        at = np.searchsorted(self.cuts, edges, side="left")
        self.table = np.where(at[:-1] == at[1:], self.nodes[at[:-1]], -1)

    def __call__(self, b: FloatArray) -> IntArray:
        """The node each belief in ``b`` moves to: the cell table, exact search where ambiguous."""
        cell = np.minimum((b * self.CELLS).astype(np.int64), self.CELLS - 1)
        node = self.table[cell]
        amb = node < 0
        if amb.any():
            node[amb] = self.nodes[np.searchsorted(self.cuts, b[amb], side="left")]
        return node


class SegmentInterpolation:
    """``Solution.interpolate_q`` with the lower node read from a table of 2^16 cells.

    In a cell that holds no node position and no breakpoint ± SNAP_TOL the lower node of
    every belief is the same; beliefs in the other cells go through ``grid.locate``.
    """

    CELLS = 1 << 16

    def __init__(self, sol: Solution) -> None:
        self.sol = sol
        pos = sol.grid.position
        bps = np.asarray(sol.grid.breakpoints, dtype=np.float64)
        cuts = np.unique(np.concatenate([pos, bps - SNAP_TOL, bps + SNAP_TOL]))
        edges = np.arange(self.CELLS + 1) / self.CELLS
        at = np.searchsorted(cuts, edges, side="right")
        lo = np.searchsorted(pos, edges[:-1], side="right") - 1
        self.table = np.where(at[:-1] == np.searchsorted(cuts, edges[1:], side="left"), lo, -1)
        self.pos = np.append(pos, pos[-1])
        self.q = np.append(sol.q, sol.q[-1])

    def __call__(self, b: FloatArray) -> FloatArray:
        """The solution's precision at ``b``, interpolated as ``Solution.interpolate_q`` does."""
        cell = np.minimum((b * self.CELLS).astype(np.int64), self.CELLS - 1)
        lo = self.table[cell]
        amb = lo < 0
        safe = np.where(amb, 0, lo)
        gap = self.pos[safe + 1] - self.pos[safe]
        with np.errstate(invalid="ignore", divide="ignore"):
            lam = np.clip(np.where(gap > 0, (b - self.pos[safe]) / gap, 0.0), 0.0, 1.0)
        out: FloatArray = (1.0 - lam) * self.q[safe] + lam * self.q[safe + 1]
        if amb.any():
            out[amb] = self.sol.interpolate_q(b[amb])
        return out


def effective_side(agent: AgentModel, b: FloatArray, q: FloatArray,
                   side: IntArray | None) -> IntArray | None:
    """The side that matters to ``agent``: kept only where q is its own switching precision."""
    if side is None or not np.any(side):
        return None
    crit = agent.critical_precision(b)
    if crit is None:
        return None
    return np.where(np.abs(q - crit) <= SIDE_TOL, side, 0)


def step_beliefs(b: FloatArray, good_g: FloatArray, good_b: FloatArray,
                 side: IntArray | None) -> tuple[FloatArray, FloatArray]:
    """The observer's successor beliefs after action G and after action B.

    Where an action has probability 0 its successor is b (it never happens). A one-sided
    limit precision makes the successors one-sided limits: b'_G + side·ETA, b'_B − side·ETA.
    """
    _, succ_g, succ_b, _ = successors(b, good_g, good_b)
    if side is not None and np.any(side):
        moves = (good_g != good_b) | (side != 0)  # a limit q ± 0 moves b even at q → 1/2
        succ_g = np.where(moves, np.clip(succ_g + side * ETA, 0.0, 1.0), succ_g)
        succ_b = np.where(moves, np.clip(succ_b - side * ETA, 0.0, 1.0), succ_b)
    return succ_g, succ_b


def step_realized(b: FloatArray, good_g: FloatArray, good_b: FloatArray, act: np.ndarray,
                  side: IntArray | None) -> FloatArray:
    """The observer's belief after the action actually taken (the simulator's update).

    Equal to ``np.where(act, *step_beliefs(b, good_g, good_b, side))`` for every action
    that has positive probability, computing one successor instead of two.
    """
    # Written out rather than calling model.successors: that computes both successors, and
    # this runs once per agent on every live run (the simulator's inner loop).
    g = np.where(act, good_g, 1.0 - good_g)  # P(the action taken | ω = G)
    h = np.where(act, good_b, 1.0 - good_b)  # P(the action taken | ω = B)
    num = b * g
    den = num + (1.0 - b) * h
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / den, b)
    if side is not None and np.any(side):
        moves = (good_g != good_b) | (side != 0)  # a limit q ± 0 moves b even at q → 1/2
        shift = np.where(act, side, -side) * ETA
        out = np.where(moves, np.clip(out + shift, 0.0, 1.0), out)
    return out
