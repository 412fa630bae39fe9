r"""Fitting :class:`~steerherd.agents.Behavioral` agents by maximum likelihood.

Both fits are linear in the design ``X = [logit b, A·S·L, (1 − A)·S·L]`` where S = ±1 is the
signal, L = log(q/(1 − q)) its log-likelihood ratio and A the agreement of the signal with the
public lean (1 agree, 0 contradict, 1/2 at b = 1/2; :func:`~steerherd.agents.agreement`).

* :func:`fit_behavioral_beliefs` — reported beliefs r: ``logit r = X·w + σ·ε``, ε ~ N(0, 1).
  The MLE of w is least squares; σ̂² = RSS/n. Standard errors come from the observed
  information (the inverse Hessian of the log-likelihood at the MLE): cov(ŵ) = σ̂²(XᵀX)⁻¹ and
  se(σ̂) = σ̂/√(2n). Reported beliefs are clipped to [clip, 1 − clip] (default 0.005, i.e.
  half of one percentage point, for beliefs reported as integer percents) before the logit.
* :func:`fit_behavioral_actions` — actions: ``P(a = G) = expit(X·w / λ)``, a logistic
  regression without intercept, fitted by Newton's method; cov = (XᵀWX)⁻¹ at the MLE.
  **Identification:** only w/λ is identified from actions (scaling all weights and λ
  together leaves every probability unchanged), so the estimates are the λ-scaled weights
  w_prior/λ, w_agree/λ, w_disagree/λ and the returned model is normalised to λ = 1. If the
  actions are perfectly separated (a deterministic agent), the MLE does not exist: refused.

Rows need b ∈ (0, 1) and q ∈ [0.5, 1) (finite logits); others are refused, not dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from steerherd.agents.models import Behavioral, agreement, expit, logit
from steerherd.errors import ParameterError
from steerherd.model.tolerances import NEWTON_TOL, SEPARATION  # noqa: F401  (the table of tolerances)
from steerherd.types import ArrayLike, FloatArray

NAMES = ("w_prior", "w_agree", "w_disagree")
NEWTON_MAX = 100


@dataclass(frozen=True)
class BehavioralFit:
    """A fitted Behavioral model with its uncertainty.

    Attributes:
        model: the fitted agent (None if a fitted weight is not positive, so that no
            Behavioral agent matches; the estimates are still reported).
        estimates: parameter name → estimate.
        stderr: parameter name → standard error (observed information).
        cov: covariance matrix of the weights, in the order of ``NAMES``.
        loglik: maximised log-likelihood.
        n: number of observations.
        method: ``beliefs`` or ``actions``.
        message: why ``model`` is None, if it is.
    """

    model: Behavioral | None
    estimates: dict[str, float]
    stderr: dict[str, float]
    cov: FloatArray
    loglik: float
    n: int
    method: str
    message: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def ci(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Wald confidence intervals: estimate ± z·stderr."""
        if not 0.0 < level < 1.0:
            raise ParameterError(f"confidence level must be in (0, 1), got {level}")
        from statistics import NormalDist  # statistics costs ~5 ms to import: not at start

        z = NormalDist().inv_cdf(0.5 + level / 2.0)
        se = self.stderr
        return {k: (v - z * se[k], v + z * se[k]) for k, v in self.estimates.items()}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {"method": self.method, "estimates": self.estimates, "stderr": self.stderr,
                "ci95": {k: list(v) for k, v in self.ci().items()}, "loglik": self.loglik,
                "n": self.n, "model": None if self.model is None else self.model.to_dict(),
                "message": self.message}


def design(b: ArrayLike, q: ArrayLike, signal_good: ArrayLike) -> FloatArray:
    """The design matrix [logit b, A·S·L, (1 − A)·S·L], shape (n, 3), after validation."""
    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    s = np.atleast_1d(np.asarray(signal_good, dtype=bool))
    if not b.shape == q.shape == s.shape or b.ndim != 1:
        raise ParameterError(f"b, q and signal_good must be 1-D of one length, got shapes "
                             f"{b.shape}, {q.shape}, {s.shape}")
    if b.size < 3:
        raise ParameterError(f"need at least 3 observations to fit 3 weights, got {b.size}")
    if np.any(~((b > 0) & (b < 1))):
        raise ParameterError("every public belief b must be in (0, 1) to have a finite logit")
    if np.any(~((q >= 0.5) & (q < 1))):
        raise ParameterError("every precision q must be in [0.5, 1) to have a finite LLR")
    llr = np.where(s, 1.0, -1.0) * logit(q)
    a = agreement(b, s)
    x = np.column_stack([logit(b), a * llr, (1.0 - a) * llr])
    if np.linalg.matrix_rank(x) < 3:
        raise ParameterError("the weights are not identified: the data need public beliefs away "
                             "from 1/2 and both agreeing and contradicting signals with q > 1/2")
    return x


def fit_behavioral_beliefs(
    b: ArrayLike, q: ArrayLike, signal_good: ArrayLike, reported: ArrayLike, clip: float = 0.005,
    halfwidth: float | None = None,
) -> BehavioralFit:
    """Fit w_prior, w_agree, w_disagree and the noise scale σ from reported beliefs.

    With ``halfwidth`` (0.005 for whole percents) the reports are treated as rounded:
    interval-censored, :func:`steerherd.agents.censored.fit_behavioral_beliefs_censored`.

    Args:
        b: public beliefs, in (0, 1).
        q: precisions, in [0.5, 1).
        signal_good: the agents' signals (True = G).
        reported: the agents' reported beliefs P(ω = G), in [0, 1].
        clip: reported beliefs are clipped to [clip, 1 − clip] before the logit.
        halfwidth: None (reports are exact) or half the rounding step of the reports.

    Returns:
        The fit (``extra['sigma']`` and its standard error in ``stderr['sigma']``).

    Raises:
        ParameterError: bad or unidentifying data.
    """
    if halfwidth is not None:
        from steerherd.agents.censored import fit_behavioral_beliefs_censored

        return fit_behavioral_beliefs_censored(b, q, signal_good, reported, halfwidth)
    x = design(b, q, signal_good)
    r = np.atleast_1d(np.asarray(reported, dtype=np.float64))
    if r.shape != (x.shape[0],) or np.any(~((r >= 0) & (r <= 1))):
        raise ParameterError("reported beliefs must be numbers in [0, 1], one per observation")
    if not 0.0 < clip < 0.5:
        raise ParameterError(f"clip must be in (0, 0.5), got {clip}")
    y = logit(np.clip(r, clip, 1.0 - clip))
    n = y.size
    xtx_inv = np.linalg.inv(x.T @ x)
    w = xtx_inv @ (x.T @ y)
    rss = float(np.sum((y - x @ w) ** 2))
    sigma = np.sqrt(max(rss / n, 1e-300))
    cov = np.asarray(sigma**2 * xtx_inv, dtype=np.float64)
    loglik = -0.5 * n * (np.log(2.0 * np.pi * sigma**2) + 1.0)
    estimates = {k: float(v) for k, v in zip(NAMES, w, strict=True)} | {"sigma": float(sigma)}
    stderr = {k: float(np.sqrt(cov[i, i])) for i, k in enumerate(NAMES)}
    stderr["sigma"] = float(sigma / np.sqrt(2.0 * n))
    model, message = _model(w, lam=None)
    return BehavioralFit(model=model, estimates=estimates, stderr=stderr, cov=cov,
                         loglik=float(loglik), n=n, method="beliefs", message=message,
                         extra={"sigma": float(sigma), "clip": clip})


def fit_behavioral_actions(
    b: ArrayLike, q: ArrayLike, signal_good: ArrayLike, action_good: ArrayLike
) -> BehavioralFit:
    """Fit the λ-scaled weights w/λ from actions by logistic maximum likelihood.

    Args:
        b: public beliefs, in (0, 1).
        q: precisions, in [0.5, 1).
        signal_good: the agents' signals (True = G).
        action_good: the agents' actions (True = G).

    Returns:
        The fit; ``model`` is ``Behavioral(w_prior/λ, w_agree/λ, w_disagree/λ, lam=1)``.

    Raises:
        ParameterError: bad data, or perfect separation (no finite MLE).
    """
    x = design(b, q, signal_good)
    y = np.atleast_1d(np.asarray(action_good, dtype=np.float64))
    if y.shape != (x.shape[0],):
        raise ParameterError("action_good must have one entry per observation")
    w = np.zeros(3)
    for _ in range(NEWTON_MAX):
        p = expit(x @ w)
        hess = x.T @ (x * (p * (1 - p))[:, None])
        step = np.linalg.solve(hess + 1e-12 * np.eye(3), x.T @ (y - p))
        w = w + step
        if np.max(np.abs(w)) > SEPARATION:
            raise ParameterError("the actions are perfectly separated (a deterministic agent): the "
                                 "choice-noise MLE does not exist; fit reported beliefs instead")
        if np.max(np.abs(step)) < NEWTON_TOL:
            break
    else:
        raise ParameterError(f"the logit fit did not converge in {NEWTON_MAX} Newton steps")
    eta = x @ w
    p = expit(eta)
    cov = np.asarray(np.linalg.inv(x.T @ (x * (p * (1 - p))[:, None])), dtype=np.float64)
    loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    estimates = {k: float(v) for k, v in zip(NAMES, w, strict=True)}
    stderr = {k: float(np.sqrt(cov[i, i])) for i, k in enumerate(NAMES)}
    model, message = _model(w, lam=1.0)
    return BehavioralFit(model=model, estimates=estimates, stderr=stderr, cov=cov,
                         loglik=loglik, n=int(y.size), method="actions", message=message)


def _model(w: FloatArray, lam: float | None) -> tuple[Behavioral | None, str]:
    if w[0] < 0 or w[1] <= 0 or w[2] <= 0:
        return None, (f"fitted weights {np.round(w, 4).tolist()} are not all positive "
                      "(w_prior >= 0, w_agree > 0, w_disagree > 0): no Behavioral agent matches")
    return Behavioral(float(w[0]), float(w[1]), float(w[2]), lam=lam), ""
