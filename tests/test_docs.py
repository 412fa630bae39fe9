"""The documentation site builds with warnings as errors, and every code block in it runs.

Fences must name their language: ``python`` blocks run (each page's blocks in order, sharing
one namespace), ``bash`` blocks run line by line through the CLI (every line must be a
``steerherd`` command), and ``text``/``toml``/``json`` blocks are listings, not code.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from steerherd.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LISTINGS = {"text", "toml", "json"}


def _blocks(page: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(page.read_text())]


@pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in
                            ("mkdocs", "material", "mkdocstrings")),
                    reason="the [docs] extra is not installed")
def test_site_builds_strictly(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                          str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                         check=False, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin",
                                           "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "index.html").stat().st_size > 10_000


def test_every_page_is_in_the_site_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    assert all(page.name in nav for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=[f"page-{p.stem}-md" for p in PAGES])
def test_every_code_block_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for lang, code in _blocks(page):
        assert lang in {"python", "bash"} | LISTINGS, f"{page.name}: fence without a language"
        if lang == "python":
            exec(compile(code, f"{page.name}:python", "exec"), namespace)  # noqa: S102
        elif lang == "bash":
            for line in code.splitlines():
                line = line.split("#")[0].strip()
                if not line:
                    continue
                argv = shlex.split(line)
                assert argv[0] == "steerherd", f"{page.name}: bash lines are steerherd commands"
                assert main(argv[1:]) == 0, (page.name, line, capsys.readouterr().err)
