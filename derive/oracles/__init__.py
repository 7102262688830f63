"""The oracles: exact (SymPy), numeric (NumPy), the index engine, the zero test."""
