"""Test configuration: property tests are reproducible in CI, and no test touches the user's
verdict cache.

Locally hypothesis explores new examples on every run (that is how bugs get found); in CI
(``CI`` set) it uses a fixed seed, so that a landing never depends on the draw.

``derive check`` stores verdicts in a cache folder (derive.verdict.cache). The suite never reads
or writes the user's: ``DERIVE_CACHE_DIR`` points into a temporary folder from import on (for
collection and every command run in a subprocess), and each test gets a folder of its own, made
only if it stores something, so that no test finds a verdict another one stored (with a
checker it had patched, say).
"""

import atexit
import itertools
import os
import shutil
import tempfile

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

CACHE_VARIABLE = "DERIVE_CACHE_DIR"  # derive.verdict.cache.FOLDER_VARIABLE
os.environ[CACHE_VARIABLE] = tempfile.mkdtemp(prefix="derive-test-cache-")
atexit.register(shutil.rmtree, os.environ[CACHE_VARIABLE], ignore_errors=True)
_numbers = itertools.count()


@pytest.fixture(autouse=True)
def _own_verdict_cache(monkeypatch, tmp_path_factory):
    """A verdict cache folder of the test's own (not yet made)."""
    root = tmp_path_factory.getbasetemp() / "verdict-caches"
    monkeypatch.setenv(CACHE_VARIABLE, str(root / str(next(_numbers))))
