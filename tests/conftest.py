"""Test configuration: property tests are reproducible in CI.

Locally hypothesis explores new examples on every run (that is how bugs get found); in CI
(``CI`` set) it uses a fixed seed, so that a landing never depends on the draw.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
