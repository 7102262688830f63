"""Problem files found and read, without building the problems: the catalog's paths, a file's
TOML table, and a problem's summary (id, title, source, number of claims).

Building a ``Problem`` (``definition``) parses every claim and infers shapes with SymPy; listing
the catalog needs only each file's table, checked against the schema. So this module imports
neither SymPy nor NumPy, and ``derive list`` starts in the time Python takes to
(tests/test_startup.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import ProblemError
from . import schema
from .schema import one_line


@dataclass(frozen=True)
class Summary:
    """What ``derive list`` shows of a problem, read from its file's table alone."""

    id: str
    title: str
    source: str
    claims: int


def catalog_paths() -> list[Path]:
    """The built-in catalog's problem files, in a stable order."""
    folder = resources.files("derive.catalog")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


def read_toml(path: Path) -> dict:
    """A TOML file's table; a missing, unreadable or malformed file is a ProblemError naming it.
    A UTF-8 byte-order mark is accepted (editors on Windows write one)."""
    name = one_line(str(path))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:  # arrays or tables nested hundreds deep: tomllib recurses
        raise ProblemError(f"{name}: not valid TOML: nested too deeply") from None
    except FileNotFoundError:
        raise ProblemError(f"{name}: no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise ProblemError(f"{name}: cannot read it: {error.__class__.__name__}") from None
    except OSError as error:
        raise ProblemError(f"{name}: cannot read it: {one_line(error.strerror or error.__class__.__name__)}") from None
    except tomllib.TOMLDecodeError as error:
        raise ProblemError(f"{name}: not valid TOML: {one_line(str(error))}") from None


def summary(path: str | Path) -> Summary:
    """A problem file's id, title, source and number of claims, its table checked against the
    schema (the title defaults to the id, as ``problem_from_dict`` has it); the claims are
    counted, not read."""
    path = Path(path)
    data = read_toml(path)
    schema.validate(data, str(path))
    return Summary(id=data["id"], title=data.get("title", data["id"]), source=data.get("source", ""),
                   claims=len(data.get("claims", [])))


def catalog_summaries() -> list[Summary]:
    """Every catalog problem's summary, in the catalog's order."""
    return [summary(path) for path in catalog_paths()]
