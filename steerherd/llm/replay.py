"""``llm replay``: re-score stored answers under new analysis settings, never re-ask.

A parameter that the stored prompts stated (the planner prompt states p, C, k, the cost
family and α, and δ for forward-looking planners) or that chose the stored precisions (the
optimal planner's policy, the baseline q = p, the belief histories built at p) is part of the
answers: changing it at replay would score answers against a question nobody asked. Such a
``--set`` is refused in one line naming where the parameter was used. What replay can change
are the analysis settings (:data:`ANALYSIS_SETTINGS`) and model fields no stored record used.
"""

from __future__ import annotations

import math
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm.config import ExperimentConfig, ModelConfig
from steerherd.llm.sequential import SETTINGS

#: Analysis settings replay may change: name → (description of allowed values, check).
ANALYSIS_SETTINGS: dict[str, tuple[str, Any]] = {
    "close_percent": ("a number in (0, 100]",
                      lambda v: math.isfinite(v) and 0 < v <= 100),
}


def stated_in(store: Any, field: str) -> list[str]:
    """Where the stored records used ``field`` of ``[model]`` (empty if nowhere)."""
    where: list[str] = []
    if store.records("policy"):
        where.append("the planner prompts of the policy experiment")
    seq = store.records("sequential")
    kinds = {SETTINGS[r["setting"]][0] for r in seq}
    if "llm" in kinds:
        where.append("the planner prompts of the sequential runs")
    if "optimal" in kinds:
        where.append("the optimal policy that chose the stored precisions")
    if field == "p" and (store.records("beliefs") or "baseline" in kinds):
        where.append("the histories and the baseline precision q = p")
    if field == "delta" and not any(r.get("horizon") == "forward" for r in
                                    [*store.records("policy"), *seq]):
        return [w for w in where if "optimal" in w or w.startswith("the histories")]
    return where


def parse_overrides(store: Any, cfg: ExperimentConfig, items: list[str]) -> dict[str, Any]:
    """Validate ``--set NAME=VALUE`` items for replay.

    Returns:
        ``{"model": ModelConfig, "close_percent": float}`` to score with.

    Raises:
        ParameterError: a malformed item, an unknown name, a bad value, or a parameter the
            stored answers depend on.
    """
    allowed = sorted([*ANALYSIS_SETTINGS, *ModelConfig.model_fields])
    changes: dict[str, str] = {}
    settings: dict[str, Any] = {"close_percent": 10.0}
    for item in items:
        key, _, value = item.partition("=")
        if key not in allowed or not value:
            raise ParameterError(f"--set {item!r}: expected NAME=VALUE with NAME in {allowed}")
        if key in ANALYSIS_SETTINGS:
            what, ok = ANALYSIS_SETTINGS[key]
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not ok(number):
                raise ParameterError(f"--set {key}={value}: {key} must be {what}")
            settings[key] = number
            continue
        where = stated_in(store, key)
        if where:
            raise ParameterError(
                f"--set {key}={value}: {key} is part of the stored answers (used in "
                f"{'; '.join(where)}); replay re-scores, it cannot re-ask: run a new experiment "
                f"with {key} = {value}")
        changes[key] = value
    try:
        model = ModelConfig.model_validate({**cfg.model.model_dump(), **changes})
    except ValueError as exc:
        raise ParameterError(f"--set: {' '.join(str(exc).split())}") from None
    settings["model"] = model
    return settings
