"""Claim verdicts stored on disk and found again, so that a rerun of ``derive check`` checks
only the claims that changed.

An entry is one claim's verdict under a key that digests everything the verdict depends on:

- derive's code (``code_identity``: a digest of every ``.py`` and ``.lark`` file of the package,
  with the versions of Python and of the libraries that compute — the version number alone does
  not change between commits, and a stale verdict after a change of the checker is the bug to
  avoid);
- the problem without its claims (every field of the ``Problem``: sizes, variables, shapes,
  definitions, layout, functions...; a new field is included by itself), so that editing a
  definition rechecks every claim of the problem;
- the claim's own entry (text, tree, expect, diagnosis, correct, source...), so that editing
  one claim rechecks that claim only;
- every field of the check's options (seed, budget, numeric on or off, salt, sizes).

Only a verdict that a new check would give again is stored: none that a time budget or the
memory cut short (an exact evidence with method "timeout", any text saying a stage "did not
finish" or gave up "within" its seconds), no "error" verdict, and none whose record does not
read back identical. When unsure, the verdict is not stored.

The folder is ``$DERIVE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/derive``, else
``~/.cache/derive``; entries are JSON files in its ``verdicts/`` folder, one per key, written
whole (a temporary file, then a rename), with the least recently used pruned past
``MAX_ENTRIES`` entries or ``MAX_BYTES`` bytes. An entry that cannot be read (truncated,
corrupt, another format) is a miss; a folder that cannot be written turns the cache off for the
run, and ``off`` says why. A stored verdict comes back without trees (as from a worker process),
marked ``cached``, with the seconds its check took when it was computed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import fields, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from ..limits import RECURSION_LIMIT
from .evidence import (
    FAILS,
    HOLDS,
    UNDECIDED,
    ClaimVerdict,
    Diagnosis,
    Difference,
    ExactEvidence,
    LinkVerdict,
    NumericEvidence,
)

if TYPE_CHECKING:
    from ..problem.definition import ClaimSpec, Problem

FORMAT = 1  # of an entry; a change of the record's layout or of the key's ingredients bumps it
FOLDER_VARIABLE = "DERIVE_CACHE_DIR"
MAX_ENTRIES = 20_000
MAX_BYTES = 200 * 2**20
KEEP = 0.9  # a pruning keeps this share of the limits, so that the next run does not prune again
STALE_TEMPORARY = 3600.0  # seconds after which a temporary file is a leftover of a killed run
LIBRARIES = ("sympy", "numpy", "symengine", "mpmath", "lark")  # what computes a verdict, with derive
RECORDS = {cls.__name__: cls for cls in (ClaimVerdict, LinkVerdict, ExactEvidence, NumericEvidence, Difference,
                                                  Diagnosis)}
# A text of derive's that says time or memory decided part of the verdict (budget.py's "did not
# finish within 10 s", the diagnosis's "no common slip was recognised within 5 s", a worker's
# memory cap) or that something went wrong: such a verdict is not stored.
UNREPRODUCIBLE = re.compile(r"did not finish|within [0-9.e+-]+ ?s\b|timeout|timed out|time budget|"
                            r"out of memory|memory cap|internal error|please report", re.IGNORECASE)
# the fields a claim's verdict copies from the problem file: the user's text, not derive's
USER_FIELDS = {"claim", "expect", "expected_diagnosis", "correct", "source"}


class _Unkeyable(Exception):
    """A value with no stable text (an object printed with its address): no key, no caching."""


class _Unstorable(Exception):
    """A verdict holding a value the entry format cannot carry exactly."""


def default_folder() -> Path:
    """``$DERIVE_CACHE_DIR``, else ``$XDG_CACHE_HOME/derive`` (an absolute path, as the XDG
    specification asks), else ``~/.cache/derive``."""
    chosen = os.environ.get(FOLDER_VARIABLE)
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "derive"
    return Path.home() / ".cache" / "derive"


@functools.cache
def code_identity() -> str:
    """derive's version, a digest of its sources (every ``.py`` and ``.lark`` file of the
    package) and the versions of Python and of the libraries that compute verdicts: what a
    stored verdict or grade was computed with. Read once per process."""
    from .. import __version__

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".lark") and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} ?")
    python = ".".join(map(str, sys.version_info[:3]))
    return f"derive {__version__}+{digest.hexdigest()}; python {python}; " + "; ".join(versions)


def canonical(value: object) -> object:
    """``value`` as plain JSON data that is the same for equal values in every process: a
    dataclass as its class and every field, a dict in its order, a set sorted, SymPy and other
    objects as their type and text. An object printed with its address raises ``_Unkeyable``."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return [type(value).__qualname__, [[f.name, canonical(getattr(value, f.name))] for f in fields(value)]]
    if isinstance(value, dict):
        return ["dict", [[canonical(k), canonical(v)] for k, v in value.items()]]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [canonical(v) for v in value]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted(json.dumps(canonical(v), sort_keys=True) for v in value)]
    text = str(value)
    if " at 0x" in text or " object at " in text:
        raise _Unkeyable(type(value).__qualname__)
    return [f"{type(value).__module__}.{type(value).__qualname__}", text]


def _digest(*parts: object) -> str:
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def reproducible(verdict: ClaimVerdict) -> bool:
    """Whether a new check of the claim would give this verdict again: no error, and nothing
    cut short by a time budget or the memory (see ``UNREPRODUCIBLE``)."""
    if verdict.error is not None or verdict.verdict not in (HOLDS, FAILS, UNDECIDED):
        return False
    if any(e.method == "timeout" for link in verdict.links for e in link.exact):
        return False
    texts: list[str] = []
    _strings(verdict.as_json(), texts, skip=USER_FIELDS)
    return not any(UNREPRODUCIBLE.search(text) for text in texts)


def _strings(value, out: list[str], skip=frozenset()) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def encode(verdict: ClaimVerdict) -> str:
    """A verdict's record (trees left out) as one line of JSON, with tuples, complex numbers and
    dicts marked so that ``decode`` rebuilds the same objects."""
    return json.dumps(_encode(verdict), ensure_ascii=False, allow_nan=True, separators=(",", ":"))


def decode(text: str | bytes) -> ClaimVerdict:
    """The verdict of ``encode``'s text; ValueError (or TypeError, KeyError) when it is not one."""
    verdict = _decode(json.loads(text))
    if not isinstance(verdict, ClaimVerdict):
        raise ValueError("not a claim's verdict")
    return verdict


def entry_text(key: str, verdict: ClaimVerdict) -> str:
    """An entry: a header line (format, key, SHA-256 of the record) and the record's line."""
    body = encode(verdict)
    header = {"format": FORMAT, "key": key, "sha256": hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()}
    return json.dumps(header) + "\n" + body + "\n"


def read_entry(key: str, data: bytes) -> ClaimVerdict:
    """The verdict of an entry, checked whole: its format, its key and its record's digest (a
    truncated or damaged entry is a ValueError, never a wrong verdict)."""
    first, _, body = data.partition(b"\n")
    header = json.loads(first)
    body = body.rstrip(b"\n")
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
        raise ValueError("an entry of another format or key")
    if header.get("sha256") != hashlib.sha256(body).hexdigest():
        raise ValueError("a damaged entry")
    return decode(body)


def _encode(value):
    if value is None or type(value) in (bool, int, float, str):
        return value
    if RECORDS.get(type(value).__name__) is type(value):
        kept = [f.name for f in fields(value) if not f.metadata.get("tree")]
        return {"$record": type(value).__name__, "fields": {name: _encode(getattr(value, name)) for name in kept}}
    if type(value) is complex:
        return {"$complex": [value.real, value.imag]}
    if type(value) is tuple:
        return {"$tuple": [_encode(v) for v in value]}
    if type(value) is list:
        return [_encode(v) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"$dict": [[k, _encode(v)] for k, v in value.items()]}
    raise _Unstorable(type(value).__qualname__)


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$record" in value:
        return RECORDS[value["$record"]](**{name: _decode(v) for name, v in value["fields"].items()})
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    if "$complex" in value:
        real, imag = value["$complex"]
        return complex(real, imag)
    if "$dict" in value:
        return {key: _decode(v) for key, v in value["$dict"]}
    raise ValueError("an unmarked table in an entry")


def _shown(verdict: ClaimVerdict) -> str:
    """Everything the reports print of a verdict (its JSON record), as one text to compare."""
    return json.dumps(verdict.as_json(), sort_keys=True, allow_nan=True)


class VerdictCache:
    """The verdicts stored in ``folder`` (``default_folder()``'s ``verdicts/`` when not given).

    ``keys`` gives each claim of a problem its key, ``get`` the stored verdict of a key (or None),
    ``put`` stores one (when it is reproducible), ``prune`` drops the least recently used entries
    past the limits. Nothing here raises for the cache's sake: a cache that cannot be read is
    empty, one that cannot be written is off (``off`` says why), and the check goes on.
    """

    def __init__(self, folder: str | Path | None = None, max_entries: int = MAX_ENTRIES,
                 max_bytes: int = MAX_BYTES):
        self.folder = Path(folder) if folder is not None else default_folder() / "verdicts"
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.off = ""  # why the cache is off for this run ("" while it works)
        self.hits = 0
        self.stored = 0

    def keys(self, problem: Problem, options: object) -> list[str | None]:
        """Each claim's key, in order; None for a claim (or every claim of a problem) that has no
        stable key, which is then always checked."""
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous, RECURSION_LIMIT))
        try:
            context = _digest(FORMAT, code_identity(), canonical(options),
                              [[f.name, canonical(getattr(problem, f.name))] for f in fields(problem)
                               if f.name not in ("claims", "path")])
            return [self._key(context, spec) for spec in problem.claims]
        except (_Unkeyable, RecursionError):
            return [None] * len(problem.claims)
        finally:
            sys.setrecursionlimit(previous)

    @staticmethod
    def _key(context: str, spec: ClaimSpec) -> str | None:
        try:
            return _digest(context, canonical(spec))
        except (_Unkeyable, RecursionError):
            return None

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str | None) -> ClaimVerdict | None:
        """The verdict stored under ``key``, marked ``cached``; None when there is none or it
        cannot be read."""
        if key is None:
            return None
        path = self._path(key)
        try:
            verdict = read_entry(key, path.read_bytes())
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:
            pass
        verdict.cached = True
        self.hits += 1
        return verdict

    def put(self, key: str | None, verdict: ClaimVerdict) -> bool:
        """Store ``verdict`` under ``key`` if it is reproducible and reads back identical; True
        when it was stored. A folder that cannot be written turns the cache off (``off``)."""
        if key is None or self.off or not reproducible(verdict):
            return False
        try:
            if _shown(decode(encode(verdict))) != _shown(verdict):  # it would not read back the same
                return False
            text = entry_text(key, verdict)
        except (_Unstorable, ValueError, TypeError, KeyError, RecursionError):
            return False
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self._path(key))
        except OSError as error:
            self.off = f"the verdict cache is off for this run ({self.folder}: {error.strerror or error})"
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
            return False
        self.stored += 1
        return True

    def prune(self) -> int:
        """Drop the least recently used entries while there are more than ``max_entries`` or
        they hold more than ``max_bytes``, down to ``KEEP`` of each, and temporary files left by
        a killed run; the number of entries dropped."""
        entries, now = [], time.time()
        try:
            with os.scandir(self.folder) as found:
                for entry in found:
                    try:
                        info = entry.stat()
                    except OSError:
                        continue
                    if entry.name.startswith(".tmp-"):
                        if now - info.st_mtime > STALE_TEMPORARY:
                            _remove(entry.path)
                    elif entry.name.endswith(".json"):
                        entries.append((info.st_mtime, info.st_size, entry.path))
        except OSError:
            return 0
        count, size = len(entries), sum(e[1] for e in entries)
        if count <= self.max_entries and size <= self.max_bytes:
            return 0
        dropped = 0
        for _, bytes_, path in sorted(entries):
            if count <= self.max_entries * KEEP and size <= self.max_bytes * KEEP:
                break
            if _remove(path):
                dropped += 1
            count, size = count - 1, size - bytes_
        return dropped


def _remove(path: str) -> bool:
    try:
        os.unlink(path)
    except OSError:
        return False
    return True
