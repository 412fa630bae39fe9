r"""The Behavioral belief fit when beliefs are reported as whole percents (interval-censored).

An answer of r percent means a belief in [r − h, r + h] (h = 0.5 points), clipped to [0, 1],
so its log-odds lies in [L, U] = [logit(max(r − h, 0)), logit(min(r + h, 1))] (±∞ at the ends).
The model is ``logit(belief) = X·w + σ·ε``, ε ~ N(0, 1), with the design X of
:func:`~steerherd.agents.fit.design`. Treating r itself as exact (the least-squares fit) is
biased where rounding and clipping are large against σ, and its intervals are too narrow.

Two cases, decided by a linear programme:

* **The reports are consistent with a noiseless agent** (some w has L ≤ X·w ≤ U for every
  row; e.g. an exact Bayesian or a deterministic Behavioral agent whose answers are its
  rounded beliefs). Then σ̂ = 0, the likelihood is flat on that polytope, and the data identify
  w only up to the polytope: each weight's interval is its range over the polytope (min and
  max by LP), which contains the truth whenever the model holds; the estimate is its midpoint.
* **Otherwise** σ > 0 and (w, log σ) are fitted by maximum likelihood of the censored normal,
  ``Σ log(Φ((U − X·w)/σ) − Φ((L − X·w)/σ))``, with Wald intervals from the observed
  information (a finite-difference Hessian of the analytic gradient). Their coverage is
  checked by simulation in ``tests/test_llm_fit.py``.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from scipy import optimize, special

from steerherd.agents.fit import NAMES, BehavioralFit, _model, design
from steerherd.agents.models import logit
from steerherd.errors import ParameterError
from steerherd.types import ArrayLike, FloatArray

#: Slack on the LP's bounds (log-odds units), far below one rounding step (≥ 0.02).
LP_SLACK = 1e-9
#: Finite-difference step of the Hessian, in the parameters' own units.
HESS_STEP = 1e-5


def censored_bounds(reported: ArrayLike, halfwidth: float) -> tuple[FloatArray, FloatArray]:
    """Log-odds bounds [L, U] of reports r (probabilities) rounded to ±``halfwidth``."""
    r = np.atleast_1d(np.asarray(reported, dtype=np.float64))
    lo = np.clip(r - halfwidth, 0.0, 1.0)
    hi = np.clip(r + halfwidth, 0.0, 1.0)
    return logit(lo), logit(hi)


def fit_behavioral_beliefs_censored(
    b: ArrayLike, q: ArrayLike, signal_good: ArrayLike, reported: ArrayLike,
    halfwidth: float = 0.005, level: float = 0.95,
) -> BehavioralFit:
    """Fit (w_prior, w_agree, w_disagree, σ) from reports rounded to ±``halfwidth``.

    Args:
        b: public beliefs, in (0, 1).
        q: precisions, in [0.5, 1).
        signal_good: the agents' signals (True = G).
        reported: reported beliefs in [0, 1] (``percent / 100``).
        halfwidth: half the rounding step (0.005 for whole percents).
        level: coverage of the intervals in ``extra`` (``ci_lo_*``, ``ci_hi_*``).

    Returns:
        The fit; ``method`` is ``beliefs-censored`` with ``extra['identified_set']`` 1 when
        the reports are consistent with a noiseless agent (σ̂ = 0, set-valued intervals).

    Raises:
        ParameterError: bad or unidentifying data.
    """
    x = design(b, q, signal_good)
    r = np.atleast_1d(np.asarray(reported, dtype=np.float64))
    if r.shape != (x.shape[0],) or np.any(~((r >= 0) & (r <= 1))):
        raise ParameterError("reported beliefs must be numbers in [0, 1], one per observation")
    if not 0.0 < halfwidth < 0.5:
        raise ParameterError(f"halfwidth must be in (0, 0.5), got {halfwidth}")
    lo, hi = censored_bounds(r, halfwidth)
    box = _identified_set(x, lo, hi)
    if box is not None:
        return _set_fit(x, box, halfwidth)
    return _mle_fit(x, lo, hi, halfwidth, level)


def _lp_rows(x: FloatArray, lo: FloatArray, hi: FloatArray) -> tuple[FloatArray, FloatArray]:
    up, dn = np.isfinite(hi), np.isfinite(lo)
    a = np.vstack([x[up], -x[dn]])
    ub = np.concatenate([hi[up] + LP_SLACK, -lo[dn] + LP_SLACK])
    return a, ub


def _identified_set(x: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray | None:
    """Per-weight [min, max] over {w: lo ≤ X·w ≤ hi}, or None when the set is empty."""
    a, ub = _lp_rows(x, lo, hi)
    free = [(None, None)] * x.shape[1]
    first = optimize.linprog(np.zeros(x.shape[1]), A_ub=a, b_ub=ub, bounds=free,
                             method="highs")
    if first.status != 0:
        return None
    box = np.empty((x.shape[1], 2))
    for j in range(x.shape[1]):
        for side, sign in ((0, 1.0), (1, -1.0)):
            c = np.zeros(x.shape[1])
            c[j] = sign
            res = optimize.linprog(c, A_ub=a, b_ub=ub, bounds=free, method="highs")
            box[j, side] = sign * res.fun if res.status == 0 else sign * -np.inf
    return box


def _set_fit(x: FloatArray, box: FloatArray, halfwidth: float) -> BehavioralFit:
    est = np.where(np.all(np.isfinite(box), axis=1), box.mean(axis=1), np.nan)
    estimates = {k: float(v) for k, v in zip(NAMES, est, strict=True)} | {"sigma": 0.0}
    half = (box[:, 1] - box[:, 0]) / 2
    stderr = {k: float("nan") for k in (*NAMES, "sigma")}
    extra = {"sigma": 0.0, "halfwidth": halfwidth, "identified_set": 1.0}
    for k, (a, b_) in zip(NAMES, box, strict=True):
        extra[f"ci_lo_{k}"], extra[f"ci_hi_{k}"] = float(a), float(b_)
    model, message = _model(np.nan_to_num(est), lam=None)
    note = ("the reports are consistent with a noiseless agent (σ̂ = 0): each interval is the "
            "weight's range over every w that reproduces every report")
    return BehavioralFit(model=model, estimates=estimates, stderr=stderr,
                         cov=np.diag(half**2), loglik=0.0, n=x.shape[0],
                         method="beliefs-censored", message=(message + "; " + note).lstrip("; "),
                         extra=extra)


def _log_prob(zl: FloatArray, zu: FloatArray) -> FloatArray:
    """log(Φ(zu) − Φ(zl)) for zl < zu, stable in both tails."""
    flip = zl > 0  # Φ(zu) − Φ(zl) = Φ(−zl) − Φ(−zu): keep both arguments on the left tail
    a = np.where(flip, -zu, zl)
    b = np.where(flip, -zl, zu)
    lb, la = special.log_ndtr(b), special.log_ndtr(a)
    return np.asarray(lb + np.log(-np.expm1(np.minimum(la - lb, -1e-300))), dtype=np.float64)


def _exp(x: FloatArray) -> FloatArray:
    return np.asarray(np.exp(np.minimum(x, 700.0)), dtype=np.float64)


def _nll_grad(theta: FloatArray, x: FloatArray, lo: FloatArray,
              hi: FloatArray) -> tuple[float, FloatArray]:
    w, log_s = theta[:-1], theta[-1]
    s = np.exp(log_s)
    mu = x @ w
    zl, zu = (lo - mu) / s, (hi - mu) / s
    logp = _log_prob(zl, zu)
    log_phi = -0.5 * np.log(2 * np.pi)
    zu_f = np.where(np.isfinite(zu), zu, 0.0)
    zl_f = np.where(np.isfinite(zl), zl, 0.0)
    # φ(z)/P for each finite bound (an infinite bound contributes φ = 0)
    pu = np.where(np.isfinite(zu), _exp(log_phi - 0.5 * np.square(zu_f) - logp), 0.0)
    pl = np.where(np.isfinite(zl), _exp(log_phi - 0.5 * np.square(zl_f) - logp), 0.0)
    # d log P / d mu = −(φ(zu) − φ(zl))/(σP);  d log P / d log σ = −(zu φ(zu) − zl φ(zl))/P
    d_mu = -(pu - pl) / s
    d_ls = -(zu_f * pu - zl_f * pl)
    grad = -np.concatenate([x.T @ d_mu, [np.sum(d_ls)]])
    return float(-np.sum(logp)), grad


def _mle_fit(x: FloatArray, lo: FloatArray, hi: FloatArray, halfwidth: float,
             level: float) -> BehavioralFit:
    mid = np.clip(np.where(np.isfinite(lo) & np.isfinite(hi), (lo + hi) / 2,
                           np.where(np.isfinite(lo), lo, hi)), -12, 12)
    w0 = np.linalg.lstsq(x, mid, rcond=None)[0]
    s0 = max(float(np.std(mid - x @ w0)), 0.05)
    theta0 = np.concatenate([w0, [np.log(s0)]])
    res = optimize.minimize(_nll_grad, theta0, args=(x, lo, hi), jac=True, method="BFGS",
                            options={"gtol": 1e-8, "maxiter": 2000})
    theta = res.x
    hess = np.empty((theta.size, theta.size))
    for j in range(theta.size):
        e = np.zeros(theta.size)
        e[j] = HESS_STEP
        hess[:, j] = (_nll_grad(theta + e, x, lo, hi)[1]
                      - _nll_grad(theta - e, x, lo, hi)[1]) / (2 * HESS_STEP)
    hess = (hess + hess.T) / 2
    try:
        cov_all = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        raise ParameterError("the censored fit's information matrix is singular: the data do "
                             "not identify the weights") from None
    if np.any(np.diag(cov_all) <= 0):
        raise ParameterError("the censored fit did not reach a maximum (the information "
                             "matrix is not positive definite)")
    w, sigma = theta[:-1], float(np.exp(theta[-1]))
    cov = np.asarray(cov_all[:-1, :-1], dtype=np.float64)
    estimates = {k: float(v) for k, v in zip(NAMES, w, strict=True)} | {"sigma": sigma}
    stderr = {k: float(np.sqrt(cov[i, i])) for i, k in enumerate(NAMES)}
    stderr["sigma"] = float(sigma * np.sqrt(cov_all[-1, -1]))
    z = NormalDist().inv_cdf(0.5 + level / 2)
    extra = {"sigma": sigma, "halfwidth": halfwidth, "identified_set": 0.0,
             "converged": float(res.success)}
    for k in NAMES:
        extra[f"ci_lo_{k}"] = estimates[k] - z * stderr[k]
        extra[f"ci_hi_{k}"] = estimates[k] + z * stderr[k]
    model, message = _model(w, lam=None)
    return BehavioralFit(model=model, estimates=estimates, stderr=stderr, cov=cov,
                         loglik=float(-res.fun), n=x.shape[0], method="beliefs-censored",
                         message=message, extra=extra)


def interval(fit: BehavioralFit, name: str) -> tuple[float, float]:
    """The fit's interval for one weight: the identified set's range, or the Wald interval."""
    if "ci_lo_" + name in fit.extra:
        return fit.extra["ci_lo_" + name], fit.extra["ci_hi_" + name]
    return fit.ci()[name]
