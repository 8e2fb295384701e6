"""The import report: what will happen to each row of a file, before anything is written.

Every message names the row (as a person finds it in the file: "row 7" of a
spreadsheet, "feature 3" of a GeoJSON, "activity 'XM-1-2'" of an IATI file), the
column and the problem. A row's status is the worst of its messages:

``ok``       no message, or only notes;
``warning``  imported, but something was changed or looks doubtful (read the message);
``error``    not imported.

File-level messages (no row) are about the whole file (the encoding used, the CRS,
swapped columns). The summary counts rows to add, to update and to skip.

Messages are English text plus a stable ``code``; a message given as a
:class:`~geo.errors.Phrase` also keeps its catalogue ``key`` and ``fields``, so
``Message.text(lang)`` and ``rows_frame(lang)`` give it in Kyrgyz, Russian or English
(the row and column named in that language too). Without ``lang`` everything is English.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from geo.errors import Phrase, _render

SEVERITIES = ("info", "warning", "error")
_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Message:
    """One finding about the file or one of its rows."""

    severity: str
    problem: str
    row: int | None = None          # position of the row in the table read (0-based); None: the whole file
    row_label: str | None = None    # how a person finds the row ("row 7", "feature 3")
    column: str | None = None       # the column of the file, as written in it
    code: str = ""
    key: str = ""                   # catalogue key of ``problem`` ("" when it is English text only)
    fields: dict = field(default_factory=dict, compare=False, hash=False)

    def problem_text(self, lang: str | None = None) -> str:
        """The problem alone, in ``lang`` when the message has a key (English otherwise)."""
        if lang is None or not self.key:
            return self.problem
        return _render(self.key, lang, self.fields)

    def text(self, lang: str | None = None) -> str:
        """The message as one readable sentence that names the row and the column (English
        unless ``lang`` is given)."""
        where = []
        if self.row_label:
            label = row_label_text(self.row_label, lang)
            where.append(label[:1].upper() + label[1:])
        if self.column:
            where.append(f"column '{self.column}'" if lang is None else
                         _render("import.where.column", lang, {"name": self.column}))
        problem = self.problem_text(lang)
        if not where:
            return problem
        return f"{', '.join(where)}: {problem}"


_LABEL_WORDS = re.compile(r"\bsheet '([^']*)'|('[^']*')|\b(row|feature|placemark|activity) (\d+)")


def row_label_text(label: str, lang: str | None = None) -> str:
    """A row label ("row 7", "feature 3", "sheet 'Data' row 4", "activity 2 ('XM-1')") in ``lang``."""
    if lang is None or lang == "en":
        return label

    def one(match: re.Match) -> str:
        if match.group(1) is not None:
            return _render("import.where.sheet", lang, {"name": match.group(1)})
        if match.group(2) is not None:  # a quoted name from the data stays as it is
            return match.group(2)
        return _render(f"import.where.{match.group(3)}", lang, {"n": match.group(4)})

    return _LABEL_WORDS.sub(one, label)


@dataclass
class ImportReport:
    """Messages about one file, and what will happen to each row."""

    source: str
    labels: list[str] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)   # add | update | skip, one per row
    messages: list[Message] = field(default_factory=list)

    # -- building ------------------------------------------------------------------
    def add(self, severity: str, problem: str | Phrase, row: int | None = None, column: str | None = None,
            code: str = "") -> Message:
        """Record a message; ``row`` is the 0-based position in the table read. A :class:`Phrase`
        problem is kept translatable (its English text is ``problem``)."""
        if severity not in _RANK:
            raise ValueError(f"unknown severity {severity!r}")
        label = self.labels[row] if row is not None and row < len(self.labels) else (
            None if row is None else f"row {row + 1}")
        key, fields = (problem.key, dict(problem.fields)) if isinstance(problem, Phrase) else ("", {})
        msg = Message(severity, str(problem), row, label, column, code, key, fields)
        self.messages.append(msg)
        return msg

    def error(self, problem: str | Phrase, row: int | None = None, column: str | None = None, code: str = "") -> Message:
        return self.add("error", problem, row, column, code)

    def warning(self, problem: str | Phrase, row: int | None = None, column: str | None = None, code: str = "") -> Message:
        return self.add("warning", problem, row, column, code)

    def info(self, problem: str | Phrase, row: int | None = None, column: str | None = None, code: str = "") -> Message:
        return self.add("info", problem, row, column, code)

    # -- reading -------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.labels)

    def row_messages(self, row: int) -> list[Message]:
        return [m for m in self.messages if m.row == row]

    def status(self, row: int) -> str:
        """ok / warning / error for one row."""
        worst = max((_RANK[m.severity] for m in self.messages if m.row == row), default=0)
        return {0: "ok", 1: "warning", 2: "error"}[worst]

    def statuses(self) -> list[str]:
        worst = [0] * self.n_rows
        for m in self.messages:
            if m.row is not None and m.row < self.n_rows:
                worst[m.row] = max(worst[m.row], _RANK[m.severity])
        return [{0: "ok", 1: "warning", 2: "error"}[w] for w in worst]

    def error_rows(self) -> list[int]:
        return [i for i, s in enumerate(self.statuses()) if s == "error"]

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def warnings(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "warning"]

    @property
    def file_messages(self) -> list[Message]:
        return [m for m in self.messages if m.row is None]

    @property
    def has_errors(self) -> bool:
        return any(m.severity == "error" for m in self.messages)

    def summary(self) -> dict[str, int]:
        """Counts: rows, ok, warning, error, to_add, to_update, to_skip."""
        statuses = self.statuses()
        actions = self.actions if len(self.actions) == self.n_rows else ["skip"] * self.n_rows
        return {
            "rows": self.n_rows,
            "ok": statuses.count("ok"),
            "warning": statuses.count("warning"),
            "error": statuses.count("error"),
            "to_add": actions.count("add"),
            "to_update": actions.count("update"),
            "to_skip": actions.count("skip"),
        }

    def rows_frame(self, lang: str | None = None) -> pd.DataFrame:
        """One line per row: label, key, action, status and its messages joined (in ``lang``
        where they have a catalogue key; English without ``lang``)."""
        statuses = self.statuses()
        actions = self.actions if len(self.actions) == self.n_rows else [""] * self.n_rows
        keys = self.keys if len(self.keys) == self.n_rows else [None] * self.n_rows
        texts: list[list[str]] = [[] for _ in range(self.n_rows)]
        for m in self.messages:
            if m.row is not None and m.row < self.n_rows:
                problem = m.problem_text(lang)
                texts[m.row].append(f"{m.column}: {problem}" if m.column else problem)
        return pd.DataFrame({
            "row": [row_label_text(label, lang) for label in self.labels], "key": pd.array(keys, dtype="string"), "action": actions,
            "status": statuses, "messages": ["; ".join(t) for t in texts],
        })

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """One line per message: row, column, severity, code, message (full sentence, in ``lang``
        where it has a catalogue key; English without ``lang``)."""
        return pd.DataFrame({
            "row": pd.array([None if m.row_label is None else row_label_text(m.row_label, lang)
                             for m in self.messages], dtype="string"),
            "column": pd.array([m.column for m in self.messages], dtype="string"),
            "severity": [m.severity for m in self.messages],
            "code": [m.code for m in self.messages],
            "message": [m.text(lang) for m in self.messages],
        })

    def to_csv(self) -> str:
        """The messages as CSV text; cells that a spreadsheet would run as a formula are quoted with '."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["row", "column", "severity", "code", "message"])
        for m in self.messages:
            writer.writerow([_cell(v) for v in (m.row_label, m.column, m.severity, m.code, m.text())])
        return buffer.getvalue()

    def to_text(self, max_messages: int = 200) -> str:
        """A plain-text report for the command line."""
        s = self.summary()
        lines = [
            f"Import report for {self.source}",
            f"{s['rows']} rows: {s['ok']} ok, {s['warning']} with warnings, {s['error']} with errors.",
            f"Will add {s['to_add']}, update {s['to_update']}, skip {s['to_skip']}.",
        ]
        ordered = sorted(self.messages, key=lambda m: (m.row is not None, m.row or 0, -_RANK[m.severity]))
        for m in ordered[:max_messages]:
            lines.append(f"  [{m.severity}] {m.text()}")
        if len(ordered) > max_messages:
            lines.append(f"  … and {len(ordered) - max_messages} more messages.")
        return "\n".join(lines)

    def texts(self, severities: Iterable[str] = SEVERITIES) -> list[str]:
        wanted = set(severities)
        return [m.text() for m in self.messages if m.severity in wanted]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
