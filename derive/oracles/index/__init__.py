"""The index-notation engine: generic proofs, for every size at once (Ricci calculus).

A claim side is turned into the entry it denotes, written in index notation with symbolic sizes:
a sum of terms, each a coefficient (a SymPy expression in numbers and size symbols) times a
product of factors, with the indices it sums over and their ranges. Both sides are brought to a
canonical form; when the forms agree (or their difference cancels as a rational function of its
entries), the claim holds for every size, every value, and every activation left undefined.

The modules, in the order they build on each other:

* ``form``: the representation (``Tensor``, ``Delta``, ``Apply``, ``Loss``, ``Term``, ``Expr``),
  fresh names, capture-avoiding substitution, products and powers.
* ``elementwise``: f^(n)(u) for the elementwise primitives, from their SymPy forms.
* ``canonical``: the canonical form and the equality test — delta contraction, canonical naming
  of bound indices, collection, merged powers, ``scalar_zero``. The part whose soundness matters;
  its module docstring lists every identity it applies.
* ``rules``: ``INDEX_RULES``, the engine's rule for every row of the primitive table.
* ``builder``: ``Builder`` writes an entry of a claim-language tree (definitions inlined,
  derivatives by the product and chain rules); ``index_form`` is its canonical form.
* ``render``: an index form back to a claim-language tree (``derive.language.ast``).
* ``folding``: a definition's entries written by its name again, for reading.
* ``derivation``: ``derive_gradient``, the gradient's entries step by step (``Step``).
* ``proof``: ``prove`` and ``prove_link``, the generic verdict of a claim with its steps.

The contract:

* ``index_form(node, problem, indices)`` is the canonical index form of entry ``indices`` of a
  claim side; ``derive_gradient(problem, loss, wrt)`` derives ∂loss/∂wrt[i,j] step by step, each
  ``Step`` a claim-language tree (``Step.chain``, printed by ``Step.text``) with its
  justification; ``prove(problem, chain)`` proves a link when both sides have the same canonical
  form. The engine never reads text back: steps and proofs are trees.
* Soundness: canonicalization applies only identities valid for every size and every value
  (``canonical``). Anything else proves nothing either way, and ``prove`` then says "no generic
  proof". Undefined activations stay atoms (h, h', h''), so a proof holds for every h.
* softmax is exp over a sum of exps and norm the square root of a sum of squares, by their
  definitions. vec and kron read an index over m·n positions as a pair (column-stacking and
  block order); an index is split once, and a proof needs every use of it to agree on the pair.
* inv and det of a variable are atoms with their derivative rules (∂inv(X)[a,b]/∂X[i,j] =
  -inv(X)[a,i] inv(X)[j,b], ∂det(X)/∂X[i,j] = det(X) inv(X)[j,i]); an identity such as
  X @ inv(X) = eye(n) is beyond the canonical form, so it gets no generic proof.
* An operation with no rule (inv or det of anything but variables, transposes and products of
  square matrices, second derivatives, the value of a loss left arbitrary) raises
  ``UnsupportedError`` naming it; ``prove`` reports it as the reason there is no generic
  proof. The engine never claims more than it showed.
"""

from .builder import Builder, index_form
from .canonical import Structure, canonical, scalar_zero
from .derivation import Derivation, Step, derive_gradient
from .form import Apply, Delta, Expr, Loss, Tensor, Term
from .proof import GENERIC, LinkProof, Proof, forget, prove, prove_link
from .render import render
from .rules import INDEX_RULES

__all__ = [
    "GENERIC", "INDEX_RULES", "Apply", "Builder", "Delta", "Derivation", "Expr", "LinkProof", "Loss",
    "Proof", "Step", "Structure", "Tensor", "Term", "canonical", "derive_gradient", "forget", "index_form",
    "prove", "prove_link", "render", "scalar_zero",
]
