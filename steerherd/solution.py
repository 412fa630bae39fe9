"""The Solution: values, policy, modes, regimes, thresholds and their certificate.

A Solution is what every solver returns and every later stage (simulation, analysis,
figures) reads. It carries its own evidence (:class:`~steerherd.dp.solve.Certificate`), the
parameters and the grid, and saves to / loads from JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from steerherd.agents import AgentModel, agent_from_dict
from steerherd.dp.bellman import (
    CROSS_KINDS,
    KIND_ABOVE,
    KIND_GRID,
    KIND_NAMES,
    KIND_REFINED,
    KIND_SIDE,
    LIMIT_KINDS,
)
from steerherd.dp.certificate import Certificate, RawSolution
from steerherd.dp.grid import BeliefGrid
from steerherd.dp.limits import PolicyChoice
from steerherd.errors import ParameterError
from steerherd.files import read_json
from steerherd.model import Params, critical_precision
from steerherd.structure import (
    Regime,
    Threshold,
    extract_regimes,
    extract_thresholds,
    modes_of,
)
from steerherd.types import ArrayLike, FloatArray, IntArray

SOLUTION_KEYS = (
    "params",
    "belief",
    "value",
    "precision",
    "mode",
    "regimes",
    "thresholds",
    "certificate",
)


@dataclass(frozen=True, eq=False)
class Solution:
    """A solved planner's problem on a belief grid.

    Attributes:
        params: the problem.
        grid: the belief grid (nodes sorted; three nodes at each breakpoint: x−, x, x+).
        V: V* at every node.
        q: q* at every node (for a limit, the limit value).
        kind: which candidate was chosen (codes of :data:`~steerherd.dp.bellman.KIND_NAMES`).
        certificate: convergence evidence.
        agent: the agent model's description.
        n_precisions: size of the precision grid.
        refine: whether continuous refinement was on.
        seconds: wall time of discretisation and solve.
        stage_precision, stage_kind: for a finite horizon, q* and kind per stage (row 0 is the
            first agent); empty otherwise.
        lp: for method ``lp``, the :class:`~steerherd.dp.lp.LPResult` (LP values, dual
            occupancy measure); not saved to JSON.
    """

    params: Params
    grid: BeliefGrid
    V: FloatArray
    q: FloatArray
    kind: IntArray
    certificate: Certificate
    agent: dict[str, Any] = field(default_factory=lambda: {"model": "bayesian"})
    n_precisions: int = 0
    refine: bool = False
    seconds: float = 0.0
    stage_precision: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    stage_kind: IntArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    lp: Any = None
    #: certified bounds on the continuous problem (:mod:`steerherd.dp.bounds.cache`), on demand.
    certified: Any = field(default=None, repr=False)

    @classmethod
    def from_raw(cls, raw: RawSolution, seconds: float = 0.0) -> Solution:
        """Wrap a solver's output."""
        prob = raw.problem
        stages = raw.stage_rows
        return cls(
            params=prob.params,
            grid=prob.grid,
            V=raw.value,
            q=raw.rows.q,
            kind=raw.rows.kind,
            certificate=raw.certificate,
            agent=prob.agent.to_dict(),
            n_precisions=int(prob.q_grid.size),
            refine=prob.refine,
            seconds=seconds,
            stage_precision=np.array([r.q for r in stages]) if stages else np.zeros((0, 0)),
            stage_kind=(
                np.array([r.kind for r in stages]) if stages else np.zeros((0, 0), dtype=np.int64)
            ),
            lp=raw.lp,
        )

    # --- per-node views -------------------------------------------------------------
    @property
    def belief(self) -> FloatArray:
        """Node positions (beliefs); breakpoints appear three times (x−, x, x+)."""
        return self.grid.position

    @cached_property
    def modes(self) -> np.ndarray:
        """Mode name at every node (one-sided nodes x± judged at x ± ETA, where q* was chosen)."""
        return modes_of(
            self.params, self.grid.belief, self.q, self.kind, self._critical(self.grid.belief)
        )

    @cached_property
    def agent_model(self) -> AgentModel:
        """The agent model the problem was solved against (rebuilt from ``agent``)."""
        return agent_from_dict(self.agent)

    def _critical(self, b: FloatArray) -> FloatArray:
        """The agent's switching precision at b (NaN where it has none)."""
        crit = self.agent_model.critical_precision(b)
        return np.full(np.shape(b), np.nan) if crit is None else np.asarray(crit, np.float64)

    @property
    def attained(self) -> np.ndarray:
        """False where q* is a supremum that no precision attains (a one-sided limit)."""
        return ~np.isin(self.kind, LIMIT_KINDS)

    @cached_property
    def regimes(self) -> list[Regime]:
        """Maximal belief intervals of one mode, with the precision formula."""
        return extract_regimes(self.params, self.belief, self.q, self.kind, self.modes)

    @cached_property
    def thresholds(self) -> dict[str, Threshold | None]:
        """The paper's thresholds (d_A, t_A, t_M or t_1, t_2), bracketed by grid nodes."""
        return extract_thresholds(self.params, self.belief, self.modes, self.grid.side)

    # --- functions of b -------------------------------------------------------------
    def value(self, b: ArrayLike) -> FloatArray:
        """V*(b) by linear interpolation within a segment; exact at breakpoints."""
        lo, lam = self.grid.locate(np.asarray(b, dtype=np.float64))
        vp = np.append(self.V, 0.0)
        out: FloatArray = (1.0 - lam) * vp[lo] + lam * vp[lo + 1]
        return out

    def policy(self, b: ArrayLike, margin: float | None = None) -> Any:
        """q*(b): the nearest node's regime formula at b (interpolated for interior optima).

        Where the mode follows b, the precision is the agent model's switching precision
        (max(b, 1 − b) for Bayesian agents), or for ``escape``/``tip`` against a
        non-Bayesian agent the crossing precision max(b, 1 − b).

        Args:
            b: beliefs.
            margin: if given, return playable precisions: a limit from below (``obfuscate``)
                is played as q − margin, one from above (``escape``, ``tip``) as q + margin
                (see :meth:`~steerherd.dp.limits.PolicyChoice.play`).

        Returns:
            Without ``margin``, a :class:`~steerherd.dp.limits.PolicyChoice`: the precision
            (the limit value where no precision attains the supremum) *with* its side;
            ``np.asarray``/``float`` of it give the limit values. With ``margin``, a float
            array of precisions an agent can be handed.
        """
        b = np.asarray(b, dtype=np.float64)
        node = self._nearest(b)
        kind = self.kind[node]
        formula = np.where(
            np.isin(kind, (KIND_GRID, KIND_REFINED)), self.interpolate_q(b), self.q[node]
        )
        follows_b = np.isin(self.modes[node], ("informative", "obfuscate")) | (kind == KIND_ABOVE)
        crit = np.maximum(self._critical(b), self.params.q_min)
        q = np.where(follows_b, crit, formula)
        cross = np.maximum(critical_precision(b), self.params.q_min)
        q = np.where(np.isin(kind, CROSS_KINDS), cross, q)
        choice = PolicyChoice(q, KIND_SIDE[kind], self.params.q_min)
        return choice if margin is None else choice.play(margin)

    def interpolate_q(self, b: ArrayLike) -> FloatArray:
        """The precision q at b, interpolated within b's segment.

        At a breakpoint it is the q of the point's own node.

        (``np.interp`` over the node positions would return the right limit's q at a
        breakpoint, where three nodes share one position.)
        """
        lo, lam = self.grid.locate(np.asarray(b, dtype=np.float64))
        qp = np.append(self.q, self.q[-1])
        out: FloatArray = (1.0 - lam) * qp[lo] + lam * qp[lo + 1]
        return out

    def mode(self, b: ArrayLike) -> np.ndarray:
        """Mode name at b (that of the nearest node; at a breakpoint, the point's own)."""
        return self.modes[self._nearest(np.asarray(b, dtype=np.float64))]

    def _nearest(self, b: FloatArray) -> IntArray:
        lo, lam = self.grid.locate(b)
        return np.where(lam > 0.5, np.minimum(lo + 1, self.grid.size - 1), lo)

    # --- for people -----------------------------------------------------------------
    def describe(self) -> list[str]:
        """A few short lines for people: problem, regimes, thresholds, certificate, grid."""
        c = self.certificate
        shown = self.regimes[:5]
        regs = " · ".join(f"{r.mode} [{r.lo:.3g}, {r.hi:.3g}]" for r in shown)
        if len(self.regimes) > len(shown):
            regs += f" · … {len(self.regimes) - len(shown)} more (sol.regimes)"
        thr = ", ".join(_threshold_text(k, t) for k, t in self.thresholds.items())
        status = "converged" if c.converged else "NOT converged"
        return [
            *describe_params(self.params),
            f"  regimes: {regs}",
            f"  thresholds: {thr}",
            f"  certificate: {status} ({_METHODS.get(c.method, c.method)}, "
            f"{c.iterations} iterations)",
            f"  grid certificate (the discretised problem): residual "
            f"{c.bellman_residual:.1e}, gap {c.gap:.1e}",
            f"  grid: {self.grid.size} beliefs x {self.n_precisions} precisions, "
            f"{self.seconds:.2f} s",
        ]

    def __repr__(self) -> str:
        return "Solution, " + "\n".join(self.describe())

    def _repr_html_(self) -> str:
        import html

        head, *rest = self.describe()
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v.strip())}</td></tr>"
            for k, _, v in (line.strip().partition(": ") for line in rest))
        return f"<b>Solution</b>: {html.escape(head)}<table>{rows}</table>"

    def plot(self, width: float = 5.5) -> Any:
        """V*(b) and q*(b) side by side as a matplotlib ``Figure`` (no pyplot needed).

        In a notebook the Figure displays itself; elsewhere ``sol.plot().savefig("s.png")``.
        """
        from steerherd.plotting import solution_figure

        return solution_figure(self.to_dict(), width=width)

    # --- certified bounds on the continuous problem ------------------------------------
    def certified_bounds(self, tol: float | None = None) -> Any:
        """The :class:`~steerherd.dp.bounds.certify.Bounds` of the continuous-belief problem.

        Computed on first use at ``tol`` (default :func:`~steerherd.dp.bounds.certify.default_tol`).

        Raises:
            ParameterError: for a non-Bayesian agent model or tol ≤ 0.
            ConvergenceError: if the tolerance is not reached in time (names the gap).
        """
        from steerherd.dp.bounds.cache import CertifiedCache

        if self.certified is None:
            object.__setattr__(self, "certified", CertifiedCache(self.params, self.agent))
        return self.certified.get(tol)

    def bounds(self, b: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(lower, upper) with lower(b) ≤ V*(b) ≤ upper(b) for the continuous-belief problem.

        Valid at every belief (not only grid nodes); ``b`` is a float or an array.
        """
        return self.certified_bounds().at(b)  # type: ignore[no-any-return]

    def certified_policy(self, b: ArrayLike, stage: int = 0) -> FloatArray:
        """Playable precisions (real numbers, never limits) of the certified policy.

        Played from b, its expected value is at least ``bounds(b)[0]`` (finite horizon: the
        policy of agent ``stage`` + 1).
        """
        return self.certified_bounds().policy(b, stage)  # type: ignore[no-any-return]

    def certified_regimes(self) -> Any:
        """Modes certain at each cell, thresholds as guaranteed intervals, undecided beliefs.

        See :func:`steerherd.dp.bounds.regimes.certified_regimes`.
        """
        from steerherd.dp.bounds.regimes import certified_regimes

        return certified_regimes(self.certified_bounds())

    # --- I/O ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the keys of :data:`SOLUTION_KEYS` and the grid details."""
        return {
            "params": self.params.to_dict(),
            "belief": self.belief.tolist(),
            "value": self.V.tolist(),
            "precision": self.q.tolist(),
            "mode": self.modes.tolist(),
            "regimes": [r.to_dict() for r in self.regimes],
            "thresholds": {
                k: (None if t is None else t.to_dict()) for k, t in self.thresholds.items()
            },
            "certificate": self.certificate.to_dict(),
            "side": self.grid.side.tolist(),
            "attained": self.attained.tolist(),
            # How to play each node's precision: −1 a limit from below (play q − margin),
            # +1 from above (q + margin), 0 attained (see steerherd.dp.limits).
            "limit_side": KIND_SIDE[self.kind].tolist(),
            "candidate": [KIND_NAMES[k] for k in self.kind],
            "grid": {
                "breakpoints": list(self.grid.breakpoints),
                "eval_belief": self.grid.belief.tolist(),
                "n_precisions": self.n_precisions,
                "refine": self.refine,
            },
            "agent": self.agent,
            "seconds": self.seconds,
            "stages": {
                "precision": self.stage_precision.tolist(),
                "candidate": [[KIND_NAMES[k] for k in row] for row in self.stage_kind],
            },
            "steerherd_version": _package_version(),
            **self._bounds_entry(),
        }

    def _bounds_entry(self) -> dict[str, Any]:
        """``{"bounds": ...}`` when certified bounds have been computed, else nothing."""
        if self.certified is None or self.certified.value is None:
            return {}
        from steerherd.dp.bounds.cache import bounds_to_dict

        return {"bounds": bounds_to_dict(self.certified.value, self.grid.belief)}

    def save(self, path: str | Path, data: dict[str, Any] | None = None) -> Path:
        """Write JSON to ``path`` and return it.

        Args:
            path: the file to write.
            data: this solution's :meth:`to_dict`, if the caller has it already (it is not
                built twice); None builds it.
        """
        path = Path(path)
        path.write_text(json.dumps(self.to_dict() if data is None else data))
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Solution:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ParameterError: if a key is missing.
        """
        missing = [k for k in (*SOLUTION_KEYS, "side", "candidate", "grid") if k not in data]
        if missing:
            raise ParameterError(f"solution JSON lacks keys {missing}")
        grid = BeliefGrid(
            position=np.asarray(data["belief"], dtype=np.float64),
            side=np.asarray(data["side"], dtype=np.int64),
            belief=np.asarray(data["grid"]["eval_belief"], dtype=np.float64),
            breakpoints=tuple(data["grid"]["breakpoints"]),
        )
        cert = dict(data["certificate"])
        cert["lower"] = np.asarray(cert["lower"], dtype=np.float64)
        cert["upper"] = np.asarray(cert["upper"], dtype=np.float64)
        code = {name: i for i, name in enumerate(KIND_NAMES)}
        stages = data.get("stages", {"precision": [], "candidate": []})
        return cls(
            params=Params.from_dict(data["params"]),
            grid=grid,
            V=np.asarray(data["value"], dtype=np.float64),
            q=np.asarray(data["precision"], dtype=np.float64),
            kind=np.array([code[k] for k in data["candidate"]], dtype=np.int64),
            certificate=Certificate(**cert),
            agent=data.get("agent", {"model": "bayesian"}),
            n_precisions=int(data["grid"].get("n_precisions", 0)),
            refine=bool(data["grid"].get("refine", False)),
            seconds=float(data.get("seconds", 0.0)),
            stage_precision=(
                np.asarray(stages["precision"], dtype=np.float64)
                if stages["precision"]
                else np.zeros((0, 0))
            ),
            stage_kind=(
                np.array([[code[k] for k in row] for row in stages["candidate"]], dtype=np.int64)
                if stages["candidate"]
                else np.zeros((0, 0), dtype=np.int64)
            ),
        )

    @classmethod
    def load(cls, path: str | Path) -> Solution:
        """Read a Solution written by :meth:`save`.

        Raises:
            ParameterError: if the file is missing or not a solution.
        """
        path = Path(path)
        data = read_json(path, "solution")
        if not isinstance(data, dict):
            raise ParameterError(f"{str(path)!r} does not hold a solution object")
        return cls.from_dict(data)


def _package_version() -> str:
    """The installed steerherd's version (from its metadata, not from the package itself).

    importlib.metadata is imported here, not with this module: its import (~13 ms) is
    paid only where a solution is written, not by a table or a library solve.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("steerherd")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


_METHODS = {"vi": "value iteration", "pi": "policy iteration", "mpi": "modified policy "
            "iteration", "lp": "linear program", "finite": "backward induction"}


def describe_params(par: Params) -> list[str]:
    """Two short lines: planner and numbers, then cost and horizon (no Python reprs)."""
    cost = par.cost.to_dict()
    if cost.get("family") == "linear":
        beta = f"linear, β(x) = {cost['k']:g}·x"
    elif cost.get("family") == "power":
        beta = f"power, β(x) = {cost['k']:g}·x^{cost['alpha']:g}"
    else:
        beta = str(par.cost.name)
    horizon = "infinite horizon" if par.horizon is None else f"{par.horizon} agents"
    return [f"{par.planner} planner: p = {par.p:g}, C = {par.C:g}, δ = {par.delta:g}, "
            f"prior {par.prior:g}", f"  cost: {beta}; {horizon}"]


def _threshold_text(name: str, t: Threshold | None) -> str:
    if t is None:
        return f"{name} none"
    if t.exact or t.lo == t.hi:
        return f"{name} = {t.value:.4g}"
    return f"{name} ∈ [{t.lo:.4f}, {t.hi:.4f}]"
