"""What can be wrong with an import file, said so that the person holding the file can fix it.

Row numbers count like a spreadsheet: the header is row 1, so the first data row is row 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


class BadValue(ValueError):
    """A cell's text is not acceptable; the message says what is wrong and how to write it."""


class FileProblem(Exception):
    """The file as a whole cannot be imported (unreadable, wrong columns, not UTF-8, empty)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One thing wrong with one data row; ``column`` is None when it concerns the whole row."""

    row: int
    column: str | None
    message: str

    def describe(self, file_name: str) -> str:
        if self.column is None:
            return _("{file} row {row}: {problem}").format(
                file=file_name, row=self.row, problem=self.message
            )
        return _("{file} row {row}, column {column}: {problem}").format(
            file=file_name, row=self.row, column=self.column, problem=self.message
        )
