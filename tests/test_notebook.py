"""The tutorial notebook runs end to end (small grids: well under a minute)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "tutorial.ipynb"


@pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in
                            ("nbclient", "nbformat", "ipykernel")),
                    reason="the [docs] extra (nbclient, nbformat, ipykernel) is not installed")
def test_tutorial_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "obfuscate" in text and "welfare" in text and "for the fitted agents" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the Figure displayed


def test_notebook_is_generated_from_its_script() -> None:
    import importlib.util as iu

    spec = iu.spec_from_file_location("make_tutorial", ROOT / "examples" / "make_tutorial.py")
    assert spec is not None and spec.loader is not None
    if not iu.find_spec("nbformat"):
        pytest.skip("nbformat is not installed")
    mod = iu.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import nbformat

    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in stored.cells] == [c.source for c in mod.build().cells]
