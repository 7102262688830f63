"""derive.problem.definition: problem files load into checked problems; malformed ones fail naming the place."""

from __future__ import annotations

import pytest
import sympy

from derive.documents.notebook import problem_markdown
from derive.errors import ProblemError
from derive.language.shapes import ONE, size_symbol
from derive.problem.definition import find_problem, load_problem, parse_shape, problem_from_dict

n, m = size_symbol("n"), size_symbol("m")
SIZES = {"n": n, "m": m}


@pytest.mark.parametrize("spec, shape", [
    ("n x m", (n, m)), ("n×m", (n, m)), ("n, m", (n, m)), ("n", (n, ONE)), ("1 x n", (ONE, n)),
    ("scalar", (ONE, ONE)), ("3 x n", (sympy.Integer(3), n)), (["n", "m"], (n, m)), (["n"], (n, ONE)),
    ([], (ONE, ONE)),
], ids=str)
def test_shape_text(spec, shape):
    assert parse_shape(spec, SIZES, "here") == shape


BAD = [
    ({"variables": {"A": "n x k"}}, "variables.A: 'k' is not a declared size (sizes: n)"),
    ({"variables": {"A": {"shape": "n x n", "constraints": ["orthogonal"]}}},
     "variables.A.constraints[1]: expected 'symmetric', 'spd', 'invertible', 'positive', 'probability' or 'stochastic', not "
     "'orthogonal'"),
    ({"sizes": ["n", "m"], "variables": {"A": {"shape": "n x m", "constraints": ["symmetric"]}}},
     "variables.A: symmetric but not square: (n,m)"),
    ({"variables": {"exp": "n"}}, "variables.exp: the name 'exp' is taken by a built-in function"),
    ({"variables": {"n": "n"}}, "variables.n: the name 'n' is declared twice (also in sizes)"),
    ({"layout": "diagonal"}, "layout: expected 'numerator' or 'denominator', not 'diagonal'"),
    ({"variables": {"x": "n"}, "definitions": ["y = x @ x"]},
     "definitions[1] ('y = x @ x'): x @ x: (n,1) @ (n,1): inner sizes 1 and n differ"),
    ({"variables": {"x": "n"}, "definitions": ["y = x", "y = 2*x"]}, "definitions[2] ('y = 2*x'): 'y' is defined twice"),
    ({"variables": {"x": "n"}, "arbitrary": {"J": ["z"]}}, "arbitrary.J: depends on 'z', which is not a variable or definition"),
    ({"variables": {"x": "n"}, "claims": [{"claim": "x = ", "expect": "holds"}]},
     "claims[1] ('x = '): the text ends (expected an expression)"),
    ({"variables": {"x": "n"}, "claims": [{"claim": "x = 2*x", "expect": "fails", "correct": "x = x +"}]},
     "claims[1].correct ('x = x +'): the text ends (expected an expression)"),
    ({"variables": {"x": "n"}, "claims": [{"claim": "x = x", "expect": "true"}]},
     "claims[1].expect: expected 'holds', 'fails' or 'undecided', not 'true'"),
    ({"variables": {"x": "0"}}, "variables.x: sizes are positive, not 0"),
    ({"variables": {"x": "n x n x n"}}, "variables.x: cannot read shape 'n x n x n' (write 'm x d', 'd' or 'scalar')"),
]


@pytest.mark.parametrize("data, message", BAD, ids=[m for _, m in BAD])
def test_a_malformed_problem_names_the_place(data, message):
    with pytest.raises(ProblemError) as caught:
        problem_from_dict({"id": "demo", "sizes": ["n"], **data}, "file.toml")
    assert str(caught.value) == f"file.toml (demo): {message}"


def test_a_problem_records_sizes_shapes_and_definitions_in_order():
    problem = problem_from_dict({"id": "demo", "sizes": ["n", "m"], "variables": {"W": "m x n", "x": "n"},
                                 "definitions": ["y = W @ x", "s = sum(y)"], "arbitrary": {"J": ["y"]}})
    assert [name for name, _ in problem.definitions] == ["y", "s"]
    assert problem.shapes == {"W": (m, n), "x": (n, ONE), "y": (m, ONE), "s": (ONE, ONE), "J": (ONE, ONE)}


def test_a_claim_may_be_plain_text():
    problem = problem_from_dict({"id": "demo", "sizes": ["n"], "variables": {"x": "n"}, "claims": ["x = x"]})
    assert problem.claims[0].expect is None


def test_fixed_sizes_are_read_from_a_table():
    problem = problem_from_dict({"id": "demo", "sizes": {"n": 2, "m": 0}})
    assert problem.fixed_sizes == {"n": 2}
    assert list(problem.sizes) == ["n", "m"]


def test_find_problem_by_id_and_by_path(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text('id = "demo"\nsizes = ["n"]\n[variables]\nx = "n"\n', encoding="utf-8")
    assert find_problem(str(path)).id == "demo"
    assert load_problem(path).path == path
    assert find_problem("linear-layer").id == "linear-layer"


def test_an_unknown_problem_suggests_the_nearest_id():
    with pytest.raises(ProblemError, match=r"'linear-layr' is not a known problem \(did you mean 'linear-layer'\?\)"):
        find_problem("linear-layr")


def test_the_problem_id_is_always_named():
    with pytest.raises(ProblemError, match=r"^<problem> \(p\): "):
        problem_from_dict({"id": "p", "layout": "diagonal"})


def test_a_problem_shows_itself_as_markdown_in_a_notebook():
    shown = problem_markdown(find_problem("linear-layer"))
    assert shown.startswith("## ") and "$$" in shown
