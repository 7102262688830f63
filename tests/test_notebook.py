"""derive.documents.notebook: Jupyter shows problems and verdicts as the export writes them."""

from __future__ import annotations

import pytest

from derive.documents.notebook import problem_markdown, register, verdict_view
from derive.problem.definition import find_problem
from derive.verdict.check import check_problem

IPython = pytest.importorskip("IPython")
from IPython.core.formatters import DisplayFormatter  # noqa: E402


@pytest.fixture
def formatter():
    display = DisplayFormatter()
    register(display.formatters)
    return display


def test_a_notebook_shows_a_problem_as_its_markdown_export(formatter):
    problem = find_problem("linear-layer")
    data, _ = formatter.format(problem)
    assert data["text/markdown"] == problem_markdown(problem)
    assert data["text/markdown"].startswith("## ")


def test_a_notebook_shows_a_verdict_as_its_part_of_the_export(formatter):
    verdict = check_problem(find_problem("linear-layer"))[0]
    data, _ = formatter.format(verdict)
    assert data["text/markdown"] == verdict_view(verdict)
    assert "Holds." in data["text/markdown"]
