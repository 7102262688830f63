"""Documents: verdicts written for people.

- ``report`` — the command line's text report of verdicts.
- ``export`` — a problem with its verdicts and derivations as Markdown or a standalone LaTeX
  document, the way a worked answer sheet writes it.
- ``notebook`` — how Jupyter shows problems and verdicts (registered by type name).
- ``formulas`` → ``segments`` → ``readings`` → ``annotate`` → ``annotated`` — ``derive annotate``:
  the math of a worked solution found, cut into statements, read against the problems of its part
  of the document, each statement and chain link checked, and the document written back marked.
- ``safe_text`` — escaping for Markdown, CSV and TeX, so that no text a user wrote can act.
"""
