"""User files and stores, checked before use, with one-line errors.

* readers for JSON, TOML and pydantic configs;
* :func:`open_store`: a steerherd SQLite store, identified by its kind marker
  (``PRAGMA application_id``) before it is opened for writing;
* :func:`exclusive_lock`: one writer per store or run directory (``flock``);
* :func:`check_output_file` / :func:`check_output_dir`: output paths refused before work.

Every function raises :class:`~steerherd.errors.ParameterError` naming the file and the
first problem, so the CLI can print it on one line and exit with code 2.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from steerherd.errors import ParameterError

if TYPE_CHECKING:  # pydantic is imported by validate(): reading a solution does not need it
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")


def read_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; ``what`` names it in errors ("policy table", "solution")."""
    path = Path(path)
    text = _read_text(path, what, f"no {what} file at {str(path)!r} (not found)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{str(path)!r} is not JSON ({exc.msg}, line {exc.lineno})") from None


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Parse a TOML file; ``what`` names it in errors ("sweep config")."""
    path = Path(path)
    text = _read_text(path, what, f"no {what} at {str(path)!r} (not found)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{str(path)!r} is not valid TOML: {exc}") from None


def _read_text(path: Path, what: str, missing: str) -> str:
    """The file's UTF-8 text, or a one-line ParameterError (``missing`` when it is absent)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(missing) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(_unreadable(path, what, exc)) from None


def _unreadable(path: Path, what: str, exc: OSError | UnicodeDecodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return (f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start}: "
                f"{exc.object[exc.start:exc.start + 1]!r})")
    if isinstance(exc, IsADirectoryError):
        return f"{what} {str(path)!r} is a directory, not a file"
    return f"cannot read {what} {str(path)!r} ({exc.strerror})"


def validate(model: type[M], data: Any, path: str | Path) -> M:
    """``model.model_validate(data)``, the first error as one line naming field and value."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "(top level)"
        got = f" (got {err['input']!r})" if "input" in err and err["type"] != "missing" else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ParameterError(f"{str(Path(path))!r}: {where}: {msg}{got}") from None


# --- SQLite stores: identified by a kind marker, checked before use ------------------------

#: SQLite's file header: every database file starts with these 16 bytes.
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class StoreKind:
    """One kind of steerherd SQLite store.

    Attributes:
        name: what the messages call it ("sweep results store").
        application_id: written to ``PRAGMA application_id`` (header bytes 68-71) when the
            store is created, and required when it is opened.
        tables: the tables a store of this kind has; a store written before the marker
            existed (application_id 0) is recognised by exactly these tables.
    """

    name: str
    application_id: int
    tables: frozenset[str]


#: The stores steerherd writes. The ids spell "SHSW" and "SHLR" in ASCII.
STORE_KINDS: dict[str, StoreKind] = {
    "sweep": StoreKind("sweep results store", 0x53485357, frozenset({"instances", "sweeps"})),
    "llm-run": StoreKind("LLM run store", 0x53484C52, frozenset({"meta", "calls", "records"})),
}


def open_store(path: str | Path, kind: str, *, create: bool, readonly: bool,
               **connect_options: Any) -> sqlite3.Connection:
    """Open a steerherd SQLite store after checking, without writing, that it is one.

    The file is identified by its header before SQLite opens it for writing: a directory,
    a 0-byte or text file, another kind of store (an LLM run store given to ``sweep``), a
    foreign SQLite file or a corrupt one (``PRAGMA quick_check``) is refused with a one-line
    :class:`ParameterError` and left byte for byte as it was. A new store is made only when
    the path does not exist and ``create`` is set; it is stamped with the kind's
    ``application_id``. A store written before the marker existed (application_id 0, exactly
    the kind's tables) is accepted and, when opened for writing, stamped.

    Args:
        path: the database file.
        kind: a key of :data:`STORE_KINDS` ("sweep", "llm-run").
        create: make the store (and its parent directories) if the path does not exist.
        readonly: open with ``mode=ro``: nothing, not even a schema, can be written.
        **connect_options: passed to :func:`sqlite3.connect` (``check_same_thread``,
            ``isolation_level``, ``timeout``).

    Returns:
        The connection. A writable one is in WAL mode with ``synchronous=NORMAL``; the caller
        creates its tables (``CREATE TABLE IF NOT EXISTS``).

    Raises:
        ParameterError: naming the path and why it is not a usable store of this kind.
    """
    spec = STORE_KINDS[kind]
    path = Path(path)
    shown = repr(str(path))
    if not path.exists():  # a directory exists: check_store below refuses it
        if not create:
            raise ParameterError(f"no {spec.name} at {shown} (not found)")
        if readonly:
            raise ValueError("open_store: create=True needs readonly=False")
        _make_parent(path, spec.name)
        _create_marked(path, spec)
    app_id = check_store(path, kind)
    # A reader of a store that no process has open (no WAL file) opens it immutable, so it
    # leaves no -shm/-wal files behind. A writer starting during the read is not seen.
    quiet = readonly and not path.with_name(path.name + "-wal").exists()
    db = _connect(path, readonly=readonly, shown=shown, name=spec.name, immutable=quiet,
                  **connect_options)
    if not readonly:
        _tune(db)
        if app_id == 0:  # a store from before the marker: stamp it
            db.execute(f"PRAGMA application_id = {spec.application_id}")
    return db


def check_store(path: str | Path, kind: str) -> int:
    """Check, without writing, that an existing file is a sound store of this kind.

    The header is read first: a file that is not SQLite, or is marked as another kind, is
    refused without SQLite ever opening it. Otherwise a read-only connection lists the
    tables and runs ``PRAGMA quick_check``.

    Returns:
        The file's application_id (0 for a store from before the marker).

    Raises:
        ParameterError: if the path is not a usable store of this kind.
    """
    spec = STORE_KINDS[kind]
    path = Path(path)
    shown = repr(str(path))
    if path.is_dir():
        raise ParameterError(f"{shown} is a directory, not {_a(spec.name)} file")
    if not path.exists():
        raise ParameterError(f"no {spec.name} at {shown} (not found)")
    header_id = _check_header(path, spec)
    if header_id not in (0, spec.application_id):
        _refuse_kind(shown, spec, header_id, set())
    # A read-only connection: a refused file is never written. Without a WAL file (no
    # writer, or a clean close) it is opened immutable, so not even -shm/-wal side files
    # appear beside a file that turns out not to be ours.
    quiet = not path.with_name(path.name + "-wal").exists()
    probe = _connect(path, readonly=True, shown=shown, name=spec.name, immutable=quiet)
    try:
        app_id = int(probe.execute("PRAGMA application_id").fetchone()[0])
        tables = {r[0] for r in probe.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        check = [r[0] for r in probe.execute("PRAGMA quick_check(1)")]
    except sqlite3.DatabaseError as exc:
        raise ParameterError(f"{shown} is a damaged SQLite file ({exc}); it was not "
                             "modified") from None
    finally:
        probe.close()
    if check != ["ok"]:
        raise ParameterError(f"{shown} is a damaged SQLite file (integrity check: "
                             f"{_one_line(check[0])}); it was not modified")
    if app_id != spec.application_id and not (app_id == 0 and tables == spec.tables):
        _refuse_kind(shown, spec, app_id, tables)
    return app_id


def _refuse_kind(shown: str, spec: StoreKind, app_id: int, tables: set[str]) -> None:
    other = next((k.name for k in STORE_KINDS.values() if k.application_id == app_id
                  or (app_id == 0 and tables == k.tables)), None)
    what = _a(other) if other else "an SQLite file that steerherd did not write"
    raise ParameterError(f"{shown} is {what}, not {_a(spec.name)}; it was not modified")


def _create_marked(path: Path, spec: StoreKind) -> None:
    """Make an empty store with its marker, appearing at ``path`` all at once.

    The file is made under a temporary name and linked into place, so no other process
    ever sees a 0-byte or unmarked file there (it would be refused as not a store).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute(f"PRAGMA application_id = {spec.application_id}")
            db.execute("PRAGMA journal_mode=WAL")  # persistent: recorded in the header
        finally:
            db.close()
        try:
            os.link(tmp, path)  # fails if another process made the store meanwhile: use it
        except FileExistsError:
            pass
    except (OSError, sqlite3.Error) as exc:
        raise ParameterError(f"cannot create {spec.name} {str(path)!r} ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _check_header(path: Path, spec: StoreKind) -> int:
    """The application_id in an SQLite header (bytes 68-71), or ParameterError."""
    shown = repr(str(path))
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise ParameterError(f"cannot read {shown} ({exc.strerror})") from None
    if not head:
        raise ParameterError(f"{shown} is an empty file, not {_a(spec.name)}; it was not modified "
                             "(remove it, or give a new path)")
    if not head.startswith(SQLITE_MAGIC) or len(head) < 100:
        raise ParameterError(f"{shown} is not an SQLite file, so not {_a(spec.name)}; it was not "
                             "modified")
    return int.from_bytes(head[68:72], "big")


def _connect(path: Path, *, readonly: bool, shown: str, name: str, immutable: bool = False,
             **connect_options: Any) -> sqlite3.Connection:
    try:
        if readonly:
            uri = f"file:{quote(str(path.resolve()))}?mode=ro" + ("&immutable=1" * immutable)
            db: sqlite3.Connection = sqlite3.connect(uri, uri=True, **connect_options)
        else:
            db = sqlite3.connect(path, **connect_options)
        return db
    except sqlite3.Error as exc:
        raise ParameterError(f"cannot open {name} {shown} ({exc})") from None


def _tune(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")


def _make_parent(path: Path, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"cannot create the directory of {what} {str(path)!r} "
                             f"({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ParameterError(f"cannot write {what} {str(path)!r}: its directory is not "
                             "writable")


def _a(name: str) -> str:
    return f"an {name}" if name[:1] in "aeiouAEIOU" or name.startswith("LLM") else f"a {name}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- One writer at a time ----------------------------------------------------------------

@contextmanager
def exclusive_lock(path: str | Path, what: str) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``path`` (a ``.lock`` file) or refuse in one line.

    The kernel releases the lock when its holder exits for any reason, kill -9 included, so
    a lock left by a killed process never blocks: the next writer simply takes it. The lock
    file itself is left in place (removing it would race with a process about to lock it).

    Args:
        path: the lock file (e.g. ``<store>.lock`` or ``<run dir>/.lock``), created if missing.
        what: what is being written, for the message ("the sweep store 'x.sqlite'").

    Yields:
        The lock file's path.

    Raises:
        ParameterError: if another process holds the lock (its pid is named when known).
    """
    import fcntl

    path = Path(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ParameterError(f"cannot create the lock file {str(path)!r} for {what} "
                             f"({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            by = f" (pid {holder})" if holder.isdigit() else ""
            raise ParameterError(f"{what} is being written by another process{by}; wait for "
                                 f"it to finish (lock: {str(path)!r})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock


# --- Output paths: checked before the computation -----------------------------------------

def check_output_file(path: str | Path, what: str, *, make_parent: bool = False) -> Path:
    """Refuse, before any work, an output file that cannot be written.

    Refused: a directory, a path under a file, an unwritable file or directory, and an
    existing SQLite file (a store would be overwritten). Missing parent directories are
    created when ``make_parent`` is set and refused otherwise.

    Raises:
        ParameterError: naming the path and the problem.
    """
    path = Path(path)
    shown = repr(str(path))
    if path.is_dir():
        raise ParameterError(f"{what} {shown} is a directory; give a file path")
    if path.exists():
        try:
            with path.open("rb") as fh:
                if fh.read(16) == SQLITE_MAGIC:
                    raise ParameterError(f"{what} {shown} is an SQLite store; refusing to "
                                         "overwrite it (give another path)")
        except OSError:
            pass
        if not os.access(path, os.W_OK):
            raise ParameterError(f"{what} {shown} is not writable")
        return path
    parent = path.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ParameterError(f"{what} {shown}: {str(existing)!r} is a file, not a directory")
    if existing != parent and not make_parent:
        raise ParameterError(f"{what} {shown}: the directory {str(parent)!r} does not exist")
    check_output_dir(parent, f"{what} {shown}: the directory", create=make_parent)
    return path


def check_output_dir(path: str | Path, what: str, *, create: bool = True) -> Path:
    """Refuse, before any work, an output directory that cannot be written.

    Args:
        path: the directory.
        what: what it is, for the message ("--out").
        create: create it (with parents) if missing; otherwise a missing one is refused.

    Raises:
        ParameterError: if it is a file, lies under a file, or is not writable.
    """
    path = Path(path)
    shown = repr(str(path))
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ParameterError(f"{what} {shown}: {str(existing)!r} is a file, not a directory")
    if existing != path and not create:
        raise ParameterError(f"{what} {shown} does not exist")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"{what} {shown} is not writable")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ParameterError(f"cannot create {what} {shown} ({exc.strerror})") from None
    return path
