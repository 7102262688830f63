"""The claim language: AST nodes, the primitive table, grammars, parsers, printers, shapes."""
