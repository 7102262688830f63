"""Reading a class's submissions never loses, merges or invents a grade silently.

Each case writes files with explicit bytes (so the encodings are what a learning-management
system or a word processor would produce) and states what is read, what is refused with which
file and line, and what is warned.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from pathlib import Path

import pytest

from cli import main
from derive.errors import DeriveError
from derive.grading.submissions import read_submissions

BOM = codecs.BOM_UTF8
RIGHT = "dJ/dy @ x.T"
Q12 = ["q1", "q2"]


def _write(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (relative path -> bytes) under tmp_path; return the first one's top entry
    (the file itself, or the folder holding a class's or one student's files)."""
    for name, data in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return tmp_path / Path(next(iter(files))).parts[0]


def _jsonl(*records: tuple[str, str, str], sep: str = "") -> bytes:
    """JSON lines written by hand, so that ``sep`` stands raw inside each answer string."""
    return "".join(f'{{"student": "{s}", "question": "{q}", "answer": "{a}"}}\n'
                   for s, q, a in records).encode("utf-8")


# -- accepted, with no warning --------------------------------------------------------------------
SEPARATORS = {"U+2028": "\u2028", "U+2029": "\u2029", "NEL": "\x85", "form-feed": "\x0c",
              "vertical-tab": "\x0b", "U+001E": "\x1e"}

ACCEPTED = [
    pytest.param({"s.csv": BOM + b"student,q1\nann,dJ/dy @ x.T\n"}, None, [("ann", "q1", RIGHT)],
                 id="wide-csv-utf8-bom"),
    pytest.param({"s.csv": BOM + b"student,question,answer\nann,q1,dJ/dy @ x.T\n"}, None,
                 [("ann", "q1", RIGHT)], id="long-csv-utf8-bom"),
    pytest.param({"s.jsonl": BOM + _jsonl(("ann", "q1", RIGHT))}, None, [("ann", "q1", RIGHT)],
                 id="jsonl-utf8-bom"),
    pytest.param({"s.txt": BOM + _jsonl(("ann", "q1", RIGHT))}, None, [("ann", "q1", RIGHT)],
                 id="jsonl-utf8-bom-told-by-its-brace"),
    pytest.param({"class/ann/q1.txt": BOM + RIGHT.encode(), "class/bob/q1.tex": BOM + b"x^\\top"}, None,
                 [("ann", "q1", RIGHT), ("bob", "q1", "x^\\top")], id="folder-files-utf8-bom"),
    pytest.param({"sub/q1.md": BOM + RIGHT.encode()}, None, [("sub", "q1", RIGHT)],
                 id="one-student-folder-utf8-bom"),
    pytest.param({"s.csv": "student,q1\nJosé,a\nJosè,b\n".encode("latin-1")}, "latin-1",
                 [("José", "q1", "a"), ("Josè", "q1", "b")], id="latin-1-with-encoding-two-students"),
    pytest.param({"s.csv": "student,q1\nZoë,x\u2019\n".encode("cp1252")}, "cp1252",
                 [("Zoë", "q1", "x\u2019")], id="cp1252-with-encoding"),
    pytest.param({"s.csv": "student,q1\nJosé,a\n".encode("utf-16")}, "utf-16",
                 [("José", "q1", "a")], id="utf-16-with-encoding"),
    pytest.param({"class/José/q1.txt": "x\u00b2".encode("latin-1")}, "latin-1",
                 [("José", "q1", "x\u00b2")], id="folder-latin-1-with-encoding"),
    pytest.param({"s.csv": b"student,q1\r\nann,\"dJ/dy\r\n@ x.T\"\r\nbob,b\r\n"}, None,
                 [("ann", "q1", "dJ/dy\r\n@ x.T"), ("bob", "q1", "b")], id="crlf-and-a-quoted-newline-kept"),
    pytest.param({"s.csv": b"student,q1\rann,a\rbob,b\r"}, None, [("ann", "q1", "a"), ("bob", "q1", "b")],
                 id="old-mac-cr-lines"),
    *[pytest.param({"s.csv": f"student,q1\nann,dJ/dy{sep}@ x.T\nbob,b\n".encode()}, None,
                   [("ann", "q1", RIGHT), ("bob", "q1", "b")], id=f"wide-csv-{name}-inside-an-answer")
      for name, sep in SEPARATORS.items()],
    *[pytest.param({"s.csv": f'student,question,answer\nann,q1,"dJ/dy{sep}@ x.T"\nbob,q1,b\n'.encode()}, None,
                   [("ann", "q1", RIGHT), ("bob", "q1", "b")], id=f"long-csv-{name}-inside-a-quoted-answer")
      for name, sep in SEPARATORS.items()],
    *[pytest.param({"s.jsonl": _jsonl(("ann", "q1", "dJ/dy@ x.T"), ("bob", "q1", "b"), sep="")
                    .replace(b"dJ/dy@", f"dJ/dy{sep}@".encode())}, None,
                   [("ann", "q1", RIGHT), ("bob", "q1", "b")], id=f"jsonl-{name}-raw-inside-an-answer")
      for name, sep in SEPARATORS.items()],
    pytest.param({"class/ann/q1.txt": b"dJ/dy\x0c@ x.T"}, None, [("ann", "q1", RIGHT)],
                 id="folder-file-form-feed-inside-an-answer"),
]


@pytest.mark.parametrize("files, encoding, expected", ACCEPTED)
def test_an_input_is_read_exactly_and_without_warnings(tmp_path, files, encoding, expected):
    read = read_submissions(_write(tmp_path, files), ["q1"], encoding=encoding)
    assert [(s.student, s.question, s.text) for s in read.submissions] == expected
    assert read.warnings == []


# -- refused, naming file and line ----------------------------------------------------------------
REFUSED = [
    pytest.param({"s.csv": "student,q1\nann,x\nJosé,y\n".encode("latin-1")}, Q12, None,
                 r"s\.csv: line 3: byte 0xe9 is not UTF-8; .*--encoding", id="latin-1-wide-csv"),
    pytest.param({"s.csv": "student,question,answer\nJosè,q1,y\n".encode("latin-1")}, Q12, None,
                 r"s\.csv: line 2: byte 0xe8 is not UTF-8", id="latin-1-long-csv"),
    pytest.param({"s.jsonl": _jsonl(("ann", "q1", "a"), ("José", "q1", "b")).decode().encode("latin-1")}, Q12,
                 None, r"s\.jsonl: line 2: byte 0xe9 is not UTF-8", id="latin-1-jsonl"),
    pytest.param({"class/ann/q1.txt": "x\ny\u00b2".encode("latin-1")}, Q12, None,
                 r"ann/q1\.txt: line 2: byte 0xb2 is not UTF-8", id="latin-1-folder-file"),
    pytest.param({"s.csv": "student,q1\nann,a\n".encode("utf-16")}, Q12, None,
                 r"s\.csv: line 1: .* is UTF-16: pass --encoding utf-16", id="utf-16-without-encoding"),
    pytest.param({"s.csv": b"student,q1\nann,a\nbob,\x81\n"}, Q12, "cp1252",
                 r"s\.csv: line 3: byte 0x81 is not cp1252", id="byte-undefined-in-the-named-encoding"),
    pytest.param({"s.csv": b"student,q1\nann,a\n"}, Q12, "latin-9x",
                 r"--encoding latin-9x: not an encoding name", id="unknown-encoding-name"),
    pytest.param({"s.csv": b"student,q1,q2,q1\nann,a,b,c\n"}, Q12, None,
                 r"s\.csv: line 1: two columns for question q1, 'q1' and 'q1'; keep one",
                 id="wide-two-columns-for-one-question"),
    pytest.param({"s.csv": b"student,q1,q2,Q1\nann,a,b,c\n"}, Q12, None,
                 r"s\.csv: line 1: two columns for question q1, 'q1' and 'Q1'", id="wide-two-columns-differing-in-case"),
    pytest.param({"s.csv": b"student,q1,q2,q3\nann,a,b,c\n"}, Q12, None,
                 r"s\.csv: line 1: column 'q3' is not a question of the assignment \(q1, q2\)",
                 id="wide-column-numbered-like-a-question"),
    pytest.param({"s.csv": b"student,dense,softmax,softmax2\nann,a,b,c\n"}, ["dense", "softmax"], None,
                 r"column 'softmax2' is not a question .*did you mean 'softmax'\?", id="wide-column-near-a-question"),
    pytest.param({"s.csv": b"student,q1,part2\nann,a,b\n"}, Q12, None,
                 r"s\.csv: line 1: column 'part2' is not a question of the assignment \(q1, q2\)",
                 id="wide-unknown-column-while-a-question-has-none"),
    pytest.param({"s.csv": b"student,q1,\nann,a,b\n"}, Q12, None,
                 r"s\.csv: line 2: column 3 has no name in the header", id="wide-answer-under-an-unnamed-column"),
    pytest.param({"s.csv": b"student,q1\nann,a\n ,b\n"}, ["q1"], None, r"s\.csv: line 3: no student",
                 id="wide-blank-student"),
    pytest.param({"s.csv": b"student,question,answer\nann,q1,a\n  ,q1,b\n"}, Q12, None,
                 r"s\.csv: line 3: no student; every row names its student in the 'student' column",
                 id="long-csv-blank-student"),
    pytest.param({"s.csv": b"student,question,answer\nann,,a\n"}, Q12, None,
                 r"s\.csv: line 2: no question; write one of q1, q2", id="long-csv-blank-question"),
    pytest.param({"s.csv": b"student,question,answer\nann,q1,a\nann,qq1,b\n"}, Q12, None,
                 r"s\.csv: line 3: question 'qq1' is not a question of the assignment \(q1, q2\); "
                 r"did you mean 'q1'\?", id="long-csv-unknown-question"),
    pytest.param({"s.jsonl": _jsonl(("ann", "q1", "a"), ("ann", "q9", "b"))}, Q12, None,
                 r"s\.jsonl: line 2: question 'q9' is not a question of the assignment \(q1, q2\)$",
                 id="jsonl-unknown-question"),
    pytest.param({"s.jsonl": b'{"student": null, "question": "q1", "answer": "a"}\n'}, Q12, None,
                 r"s\.jsonl: line 1: no student", id="jsonl-null-student"),
    pytest.param({"s.jsonl": b'{"student": " ", "question": "q1", "answer": "a"}\n'}, Q12, None,
                 r"s\.jsonl: line 1: no student", id="jsonl-blank-student"),
    pytest.param({"s.jsonl": b'{"student": "ann", "question": "q1", "answer": ["a"]}\n'}, Q12, None,
                 r"s\.jsonl: line 1: the answer is a JSON list, not text", id="jsonl-answer-a-list"),
    pytest.param({"s.jsonl": b'\n{"student": "ann", "question": "q1", "answer": "a"\n'}, Q12, None,
                 r"s\.jsonl: line 2: not JSON", id="jsonl-torn-record"),
    pytest.param({"s.csv": b'student,q1\nann,"x @ y\nbob,z\ncid,w\n'}, ["q1"], None,
                 r"s\.csv: line 2: a quoted answer that starts on this line is never closed",
                 id="csv-unclosed-quote-would-swallow-the-class"),
    pytest.param({"s.csv": b'student,question,answer\nann,q1,"a\nb"\nbob,q1,x,y\n'}, Q12, None,
                 r"s\.csv: line 4: 4 columns, the header has 3", id="csv-line-counted-past-a-multiline-answer"),
]


@pytest.mark.parametrize("files, questions, encoding, message", REFUSED)
def test_an_unreadable_or_ambiguous_input_is_refused_naming_the_line(tmp_path, files, questions, encoding, message):
    with pytest.raises(DeriveError, match=message) as error:
        read_submissions(_write(tmp_path, files), questions, encoding=encoding)
    assert "\n" not in str(error.value)


# -- read, with a warning naming file and line ----------------------------------------------------
NFD_JOSE = unicodedata.normalize("NFD", "José")

WARNED = [
    pytest.param({"s.csv": b"student,question,answer\nann,q1,a\nann,q1,b\n"},
                 [("ann", "q1", "b")],
                 [r"s\.csv: line 3: 'ann' answers q1 again \(earlier on line 2\): this later answer counts$"],
                 id="long-csv-resubmission-replaces"),
    pytest.param({"s.csv": b"student,question,answer\nann,q1,a\nann,q1,b\nann,q1,c\n"},
                 [("ann", "q1", "c")],
                 [r"s\.csv: line 3: 'ann' answers q1 again \(earlier on line 2\)",
                  r"s\.csv: line 4: 'ann' answers q1 again \(earlier on line 3\): this later answer counts$"],
                 id="long-csv-third-answer-names-the-one-it-replaces"),
    pytest.param({"s.csv": b"student,question,answer\nann,q1,\nann,q1,b\n"},
                 [("ann", "q1", "b")],
                 [r"s\.csv: line 3: 'ann' answers q1 again \(earlier on line 2\): this later answer counts$"],
                 id="long-csv-answer-after-an-empty-one-counts"),
    pytest.param({"s.csv": b"student,question,answer\nann,q1,a\nann,q1, \n"},
                 [("ann", "q1", "a")],
                 [r"s\.csv: line 3: the answer of 'ann' to q1 is empty: the one on line 2 counts$"],
                 id="long-csv-empty-answer-never-replaces"),
    pytest.param({"s.csv": b"student,question,answer\nann,q1,a\nann,q1,a\n"},
                 [("ann", "q1", "a")],
                 [r"s\.csv: line 3: 'ann' answers q1 again, the same answer \(earlier on line 2\)$"],
                 id="long-csv-same-row-twice"),
    pytest.param({"s.jsonl": _jsonl(("ann", "q1", "a"), ("bob", "q1", "c"), ("ann", "q1", "b"))},
                 [("ann", "q1", "b"), ("bob", "q1", "c")],
                 [r"s\.jsonl: line 3: 'ann' answers q1 again \(earlier on line 1\): this later answer counts$"],
                 id="jsonl-resubmission-replaces"),
    pytest.param({"s.jsonl": _jsonl(("ann", "q1", "a")) + b'{"student": "ann", "question": "q1", "answer": null}\n'},
                 [("ann", "q1", "a")],
                 [r"s\.jsonl: line 2: the answer of 'ann' to q1 is empty: the one on line 1 counts$"],
                 id="jsonl-null-answer-never-replaces"),
    pytest.param({"s.csv": b"student,q1,q2\nann,a,b\nbob,c,d\nann,,e\n"},
                 [("ann", "q1", "a"), ("ann", "q2", "e"), ("bob", "q1", "c"), ("bob", "q2", "d")],
                 [r"s\.csv: line 4: student 'ann' again \(first on line 2\): q1 kept \(this row's cell is empty\), "
                  r"q2 replaced by this row's answer$"],
                 id="wide-csv-duplicated-student"),
    pytest.param({"s.csv": b"student,Q1,q2\nann,a,b\n"},
                 [("ann", "q1", "a"), ("ann", "q2", "b")],
                 [r"s\.csv: line 1: column 'Q1' read as question 'q1' \(the assignment's spelling\)$"],
                 id="wide-csv-column-differing-in-case"),
    pytest.param({"s.csv": b"student,question,answer\nann,Q1,a\nbob,Q1,b\n"},
                 [("ann", "q1", "a"), ("bob", "q1", "b")],
                 [r"s\.csv: line 2: question 'Q1' read as 'q1' \(the assignment's spelling\)$"],
                 id="long-csv-question-differing-in-case-warned-once"),
    pytest.param({"s.csv": b"timestamp,student,q1,q2\n2024-05-01,ann,a,b\n"},
                 [("ann", "q1", "a"), ("ann", "q2", "b")],
                 [r"s\.csv: line 1: column 'timestamp' is not a question of the assignment: ignored$"],
                 id="wide-csv-extra-column-ignored"),
    pytest.param({"s.csv": b"student,q1\nann,a\n"},
                 [("ann", "q1", "a")],
                 [r"s\.csv: line 1: no column for question q2: every answer to it is missing$"],
                 id="wide-csv-question-without-a-column"),
    pytest.param({"s.csv": b"student,q1,q2\nann,a\nbob,c,d\n"},
                 [("ann", "q1", "a"), ("ann", "q2", ""), ("bob", "q1", "c"), ("bob", "q2", "d")],
                 [r"s\.csv: line 2: 2 columns, the header has 3: no cell for q2, read as no answer$"],
                 id="wide-csv-short-row"),
    pytest.param({"s.csv": b"student,question,answer\nann,q1,a\nAnn,q1,b\n"},
                 [("ann", "q1", "a"), ("Ann", "q1", "b")],
                 [r"s\.csv: students 'ann' \(line 2\) and 'Ann' \(line 3\) differ only in case or Unicode form"],
                 id="students-differing-only-in-case"),
    pytest.param({"s.csv": f"student,q1,q2\nJosé,a,b\n{NFD_JOSE},c,d\n".encode()},
                 [("José", "q1", "a"), ("José", "q2", "b"), (NFD_JOSE, "q1", "c"), (NFD_JOSE, "q2", "d")],
                 [r"s\.csv: students 'José' \(line 2\) and .* \(line 3\) differ only in case or Unicode form"],
                 id="students-differing-only-in-unicode-form"),
    pytest.param({"class/ann/q1.txt": b"a", "class/ann/q1.md": b"b", "class/ann/q2.txt": b"c"},
                 [("ann", "q1", "a"), ("ann", "q2", "c")],
                 [r"ann/q1\.txt: 'ann' has 2 files for q1 \(q1\.txt, q1\.md\): q1\.txt is read$"],
                 id="folder-two-files-for-one-question"),
]


@pytest.mark.parametrize("files, expected, warnings", WARNED)
def test_a_choice_made_while_reading_is_warned_naming_file_and_line(tmp_path, files, expected, warnings):
    source = _write(tmp_path, files)
    read = read_submissions(source, Q12)
    assert [(s.student, s.question, s.text) for s in read.submissions] == expected
    assert len(read.warnings) == len(warnings), read.warnings
    for warning, pattern in zip(read.warnings, warnings):
        assert warning.startswith(str(source)) and "\n" not in warning
        assert re.search(pattern, warning), warning


# -- derive grade ---------------------------------------------------------------------------------
ASSIGNMENT = """\
title = "one question"

[rubric]
transposed = 0.5

[[questions]]
id = "q1"
problem = "linear-layer"
asks = "dJ/dW"
answer = "dJ/dy @ x.T"
points = 2
"""


def _assignment(tmp_path: Path) -> Path:
    """A one-question assignment: q1, dJ/dW of the catalog's linear layer, 2 points."""
    path = tmp_path / "assignment.toml"
    path.write_text(ASSIGNMENT, encoding="utf-8")
    return path


def _grades(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["student"]: row["q1"] for row in csv.DictReader(handle)}


def test_grade_reads_a_latin_1_class_only_with_encoding_and_prints_warnings(tmp_path, capsys):
    assignment = _assignment(tmp_path)
    source = tmp_path / "latin.csv"
    source.write_bytes("student,question,answer\nJosé,q1,x @ dJ/dy.T\nJosè,q1,x @ dJ/dy.T\n"
                       "José,q1,dJ/dy @ x.T\n".encode("latin-1"))
    out = tmp_path / "out"
    assert main(["grade", str(assignment), str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and f"{source}: line 2: byte 0xe9 is not UTF-8" in err
    assert not (out / "grades.csv").exists()

    assert main(["grade", str(assignment), str(source), "-o", str(out), "--encoding", "latin-1"]) == 0
    err = capsys.readouterr().err
    assert f"derive: warning: {source}: line 4: 'José' answers q1 again (earlier on line 2)" in err
    assert _grades(out / "grades.csv") == {"José": "2", "Josè": "1"}


def test_grade_refuses_an_unknown_question_column_before_grading(tmp_path, capsys):
    assignment = _assignment(tmp_path)
    source = tmp_path / "wide.csv"
    source.write_bytes(b"student,q1,q2\nann,dJ/dy @ x.T,x\n")
    assert main(["grade", str(assignment), str(source), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == f"derive: {source}: line 1: column 'q2' is not a question of the assignment (q1)\n"


def test_a_json_line_with_a_lone_surrogate_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "class.jsonl"
    path.write_text('{"student": "bo", "question": "q1", "answer": "x"}\n'
                    '{"student": "ann", "question": "q1", "answer": "dJ/dy @ x.T \\ud800"}\n', encoding="utf-8")
    with pytest.raises(DeriveError) as error:
        read_submissions(path, ["q1"])
    message = str(error.value)
    assert "line 2" in message and "lone surrogate" in message and len(message.splitlines()) == 1
