"""Grading: a class's answers to an assignment, checked, graded and explained.

- ``assignment`` — the assignment file: questions, the problem each asks about, the rubric.
- ``submissions`` — a class's answers from CSV, JSON lines or a folder, messy input included.
- ``answers`` — one answer read (claim text or LaTeX) into a claim about its question.
- ``grade`` — every distinct answer checked once, in killable workers; grades kept across reruns.
- ``report`` — grades.csv, the report, per-student feedback, Gradescope's results.json.
"""
