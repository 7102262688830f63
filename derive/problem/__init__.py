"""Problems: variables with shapes, a forward computation, and the claims to check.

- ``definition`` — the ``Problem`` (sizes, variables, definitions, claims), read from TOML or a
  dict, found in the catalog (installed as ``derive.catalog``).
- ``files`` — the catalog's files, a file's TOML table, and a problem's summary read without
  building it (no SymPy: ``derive list`` stays quick).
- ``schema`` — the declarative schema every problem file is checked against first, so that each
  mistake is one line naming the file and the key.
"""
