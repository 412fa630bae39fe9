"""The package's layout (DESIGN.md): imports only go down the layers, and no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "steerherd"

#: Layers, lowest first. A module may import from its own layer or any layer below.
LAYERS: tuple[tuple[str, ...], ...] = (
    # plotting draws the data it is given and imports nothing computational (checked below),
    # so any layer may use it (Solution.plot, reports) without an upward import.
    ("steerherd.errors", "steerherd.types", "steerherd.files", "steerherd.plotting"),
    ("steerherd.model",),
    ("steerherd.agents",),
    ("steerherd.spec",),
    ("steerherd.dp",),
    ("steerherd.structure", "steerherd.solution"),
    ("steerherd.api",),
    ("steerherd.theory", "steerherd.sim", "steerherd.sweep"),
    ("steerherd.llm",),
    ("steerherd.commands", "steerherd.cli", "steerherd.__main__", "steerherd"),
)
#: The plotting package draws data it is given: it imports nothing computational.
PLOTTING_MAY_IMPORT = ("steerherd.errors", "steerherd.types", "steerherd.plotting")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    best = -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                best = max(best, i) if prefix != "steerherd" or module == "steerherd" else best
    if best < 0:
        raise AssertionError(f"{module} is in no layer of tests/test_layout.py")
    return best


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out.update(n for n in names if n == "steerherd" or n.startswith("steerherd."))
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module(p))
def test_imports_only_go_down(path: Path) -> None:
    here = _module(path)
    for target in _imports(path):
        assert _layer(target) <= _layer(here), f"{here} imports {target}, a higher layer"
        if here.startswith("steerherd.plotting"):
            assert target.startswith(PLOTTING_MAY_IMPORT), f"{here} imports {target}"


def test_at_most_eight_top_level_modules() -> None:
    top = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= 8, sorted(top)


@pytest.mark.parametrize("old", ["steerherd.costs", "steerherd._solve", "steerherd.sweep_store"])
def test_moved_modules_still_import_with_a_warning(old: str) -> None:
    import importlib
    import sys
    import warnings

    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert any(issubclass(w.category, DeprecationWarning) and "moved to" in str(w.message)
               for w in caught)
    assert module.__name__ != old  # the module at its new path, not a copy
    sys.modules.pop(old, None)
