from derive.check import ProblemChecker
from derive.problem import find_problem


def test_linear_layer_gradient_holds_and_transpose_fails():
    checker = ProblemChecker(find_problem("linear-layer"))
    assert checker.check("dJ/dW = dJ/dy @ x.T").verdict == "holds"
    wrong = checker.check("dJ/dW = x @ dJ/dy.T")
    assert wrong.verdict == "fails"
    assert wrong.diagnosis.code == "transposed"
