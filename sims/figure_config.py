"""The figures' parameters: ``paper_figures/figures.toml`` (or ``--config FILE``).

Every data script reads its section from here, and stamps its output with the section's
hash and whether it is quick, so that ``steerherd figures`` can tell stale or quick data
from what a full run at this configuration needs (and recompute it, saying so).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "paper_figures" / "figures.toml"
#: The sections every configuration must have.
SECTIONS = ("grid", "fig1", "fig2", "fig3", "fig4", "fig5", "llm")
#: Keys a case (one solve) may set.
CASE_KEYS = ("planner", "p", "C", "delta", "cost", "k", "alpha", "prior")


def load(path: str | Path | None = None) -> dict[str, Any]:
    """The configuration at ``path`` (default: the repository's), checked section by section.

    Raises:
        ParameterError: the file is missing, not TOML, or lacks a section.
    """
    from steerherd.errors import ParameterError

    path = Path(path) if path is not None else DEFAULT
    if not path.is_file():
        raise ParameterError(f"figure config {str(path)!r} not found")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"figure config {path}: {exc}") from None
    missing = [s for s in SECTIONS if s not in data]
    if missing:
        raise ParameterError(f"figure config {path} lacks section(s) {missing}; "
                             f"copy {DEFAULT} and edit it")
    for name in ("fig1", "fig2", "fig3"):
        for case in data[name].get("curves", []):
            bad = set(data[name].get("defaults", {}) | case) - set(CASE_KEYS)
            if bad:
                raise ParameterError(f"figure config [{name}]: unknown key(s) {sorted(bad)}; "
                                     f"a case takes {list(CASE_KEYS)}")
    data["_path"] = str(path)
    return data


def section_hash(config: dict[str, Any], *sections: str) -> str:
    """A short hash of the named sections (what a data file was computed from)."""
    blob = json.dumps({s: config[s] for s in sections}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def stamp(config: dict[str, Any], quick: bool, *sections: str) -> dict[str, Any]:
    """The stamp stored in a data file: quick or full, and the hash of its sections."""
    return {"quick": bool(quick), "config": section_hash(config, *sections),
            "sections": list(sections)}


def params(case: dict[str, Any], defaults: dict[str, Any] | None = None) -> Any:
    """``steerherd.Params`` of a case (its keys over the section's defaults)."""
    import steerherd as sh
    from steerherd.model.costs import make_cost

    c = {"planner": "altruistic", "C": 1.0, "cost": "linear"} | (defaults or {}) | case
    cost = make_cost(c["cost"], k=float(c["k"]), alpha=c.get("alpha"))
    return sh.Params(planner=c["planner"], p=float(c["p"]), C=float(c["C"]),
                     delta=float(c["delta"]), cost=cost, prior=float(c.get("prior", 0.5)))


def label(par: Any, keys: tuple[str, ...] = ("k", "delta")) -> str:
    """A short legend label for a case: the parameters that vary, with symbols."""
    parts = []
    for key in keys:
        if key == "delta":
            parts.append(f"δ = {par.delta:g}")
        elif key == "k":
            parts.append(f"k = {par.cost.k:g}")
        elif key == "p":
            parts.append(f"p = {par.p:g}")
    if par.cost.name == "power":
        parts.append(f"power α = {par.cost.alpha:g}")
    return ", ".join(parts)
