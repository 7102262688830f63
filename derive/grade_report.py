"""What grading writes: grades.csv, a feedback page per student, the instructor's report with a
score histogram (SVG, no plotting library needed), and Gradescope's results.json."""

from __future__ import annotations

import csv
import html
import re
from collections import Counter, defaultdict
from pathlib import Path

from .assignment import Assignment
from .export import claim_math
from .grading import Graded

Grades = dict[tuple[str, str], Graded]  # (student, question) -> grade


def students(grades: Grades) -> list[str]:
    return sorted({student for student, _ in grades})


def totals(assignment: Assignment, grades: Grades) -> dict[str, float]:
    out = {}
    for student in students(grades):
        out[student] = sum(g.points for (s, _), g in grades.items() if s == student)
    return out


def write_grades_csv(assignment: Assignment, grades: Grades, path: Path) -> None:
    """A row per student: points per question (empty where not graded) and the total."""
    ids = [q.id for q in assignment.questions]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["student", *ids, "total", "needs_review"])
        for student, total in totals(assignment, grades).items():
            row = [grades.get((student, q)) for q in ids]
            review = [q for q, g in zip(ids, row) if g is not None and g.review]
            writer.writerow([student, *[f"{g.points:g}" if g else "" for g in row], f"{total:g}", " ".join(review)])


def feedback_markdown(assignment: Assignment, grades: Grades, student: str) -> str:
    """One student's page: per question, the answer, the points and what is wrong with it."""
    total = sum(g.points for (s, _), g in grades.items() if s == student)
    lines = [f"# {assignment.title}: feedback for {student}", "",
             f"Total: {total:g} / {assignment.total:g} points.", ""]
    for question in assignment.questions:
        graded = grades.get((student, question.id))
        lines.append(f"## {question.id}: `{question.asks}` ({question.points:g} points)")
        lines.append("")
        if graded is None:
            lines += ["Not graded yet.", ""]
            continue
        shown = graded.answer if len(graded.answer) < 200 else graded.answer[:200] + " …"
        lines += ["Your answer:", "", "```", shown.replace("```", "'''"), "```", ""]
        math = claim_math(question.problem, graded.key) if graded.verdict in _READ else None
        if math:
            lines += ["read as", "", f"$$\n{math}\n$$", ""]
        lines += [graded.feedback, ""]
    return "\n".join(lines)


_READ = {"holds", "fails", "undecided"}  # the verdicts of answers that were read


def write_feedback(assignment: Assignment, grades: Grades, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for student in students(grades):
        (folder / f"{_file_name(student)}.md").write_text(feedback_markdown(assignment, grades, student),
                                                          encoding="utf-8")


def report_markdown(assignment: Assignment, grades: Grades, histogram: str = "histogram.svg") -> str:
    """The instructor's report: score histogram, and per question the right count, the diagnoses
    ranked, the distinct wrong answers grouped by meaning, and the answers to review."""
    scores = totals(assignment, grades)
    lines = [f"# {assignment.title}: class report", "",
             f"{len(scores)} students, {len(grades)} answers graded. "
             f"Mean {_mean(scores.values()):.2f} / {assignment.total:g} points.", "",
             f"![score histogram]({histogram})", ""]
    for question in assignment.questions:
        answers = [g for (_, q), g in sorted(grades.items()) if q == question.id]
        right = sum(g.verdict == "holds" for g in answers)
        lines += [f"## {question.id}: `{question.asks}` on {question.problem.id}", "",
                  f"{right} of {len(answers)} right; mean {_mean(g.points for g in answers):.2f} / "
                  f"{question.points:g} points.", ""]
        verdicts = Counter(g.diagnosis or g.verdict for g in answers if g.verdict != "holds")
        if verdicts:
            lines += ["| diagnosis | answers |", "|---|---|"]
            lines += [f"| {code} | {count} |" for code, count in verdicts.most_common()]
            lines.append("")
        groups: dict[str, list[Graded]] = defaultdict(list)
        for g in answers:
            if g.verdict == "fails":
                groups[g.meaning or g.key].append(g)
        if groups:
            lines += ["Distinct wrong answers (answers equal as matrices counted as one):", "",
                      "| answers | as most wrote it | read as | diagnosis | points |", "|---|---|---|---|---|"]
            for members in sorted(groups.values(), key=len, reverse=True):
                spellings = Counter(m.key for m in members)
                key = spellings.most_common(1)[0][0]
                first = next(m for m in members if m.key == key)
                value = key.split(" = ", 1)[-1]
                math = claim_math(question.problem, value, aligned=False)
                math = f"${_math_cell(math)}$" if math else ""
                more = f" (and {len(spellings) - 1} other spelling{'s' * (len(spellings) > 2)})" \
                    if len(spellings) > 1 else ""
                lines.append(f"| {len(members)} | `{_cell(value)}`{more} | {math} | {first.diagnosis or ''} "
                             f"| {first.points:g} |")
            lines.append("")
        review = [g for g in answers if g.review]
        if review:
            lines += ["Needs manual review (undecided):", ""]
            lines += [f"- {g.student}: `{_cell(g.answer[:120])}` — {g.feedback.splitlines()[0]}" for g in review]
            lines.append("")
    return "\n".join(lines)


def histogram_svg(scores: list[float], maximum: float, bins: int = 10) -> str:
    """A bar chart of the total scores, as a standalone SVG picture."""
    width, height, margin = 480, 240, 36
    counts = [0] * bins
    for score in scores:
        counts[min(int(score / maximum * bins) if maximum else 0, bins - 1)] += 1
    top = max(counts) or 1
    bar = (width - 2 * margin) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{width / 2}" y="16" text-anchor="middle">total score (of {maximum:g}): '
             f'number of students</text>',
             f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" stroke="black"/>']
    for k, count in enumerate(counts):
        h = (height - 2 * margin - 10) * count / top
        x = margin + k * bar
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - margin - h:.1f}" width="{bar - 4:.1f}" '
                     f'height="{h:.1f}" fill="#4a78b5"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - margin - h - 3:.1f}" '
                     f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - margin + 14}" text-anchor="middle">'
                     f'{html.escape(f"{maximum * k / bins:g}")}</text>')
    parts.append(f'<text x="{width - margin}" y="{height - margin + 14}" text-anchor="middle">{maximum:g}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_report(assignment: Assignment, grades: Grades, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "histogram.svg").write_text(
        histogram_svg(list(totals(assignment, grades).values()), assignment.total), encoding="utf-8")
    (folder / "report.md").write_text(report_markdown(assignment, grades), encoding="utf-8")


def gradescope_results(assignment: Assignment, grades: Grades, student: str) -> dict:
    """Gradescope's autograder results.json for one student: a test per question."""
    tests = []
    for question in assignment.questions:
        graded = grades.get((student, question.id))
        tests.append({
            "name": f"{question.id}: {question.asks}",
            "score": graded.points if graded else 0.0,
            "max_score": question.points,
            "output": graded.feedback if graded else "No answer was found for this question.",
            "output_format": "md",
            "visibility": "visible",
        })
    return {"score": sum(t["score"] for t in tests), "tests": tests, "visibility": "visible",
            "output": f"derive graded {len(tests)} questions."}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _math_cell(latex: str) -> str:
    """LaTeX inside a Markdown table cell: no bare | (it would end the cell)."""
    return latex.replace("\\|", "\\Vert ").replace("|", "\\vert ")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _file_name(student: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", student)[:100] or "_"
