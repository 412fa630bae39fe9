"""Reading user files (JSON, TOML, pydantic configs) with one-line errors.

Every reader raises :class:`~steerherd.errors.ParameterError` naming the file and the first
problem, so the CLI can print it on one line and exit with code 2.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from steerherd.errors import ParameterError

M = TypeVar("M", bound=BaseModel)


def read_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; ``what`` names it in errors ("policy table", "solution")."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"no {what} file at {str(path)!r} (not found)") from None
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{str(path)!r} is not JSON ({exc.msg}, line {exc.lineno})") from None


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Parse a TOML file; ``what`` names it in errors ("sweep config")."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"no {what} at {str(path)!r} (not found)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{str(path)!r} is not valid TOML: {exc}") from None


def validate(model: type[M], data: Any, path: str | Path) -> M:
    """``model.model_validate(data)``, the first error as one line naming field and value."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(top level)"
        got = f" (got {err['input']!r})" if "input" in err and err["type"] != "missing" else ""
        raise ParameterError(f"{str(Path(path))!r}: {where}: {err['msg']}{got}") from None
