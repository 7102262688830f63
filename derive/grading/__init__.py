"""Grading: assignments, submissions, answers, grades and feedback."""
