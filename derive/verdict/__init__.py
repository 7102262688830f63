"""The verdict: checking claims against the oracles, evidence, diagnosis."""
