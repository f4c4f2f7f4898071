"""Column definitions and the parsers that turn a cell's text into a value.

Every parser takes the cell's text with surrounding whitespace removed (never empty: empty
cells are handled by the caller) and returns the value, or raises :class:`BadValue` whose
message quotes the text and says how to write it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.customers.importing.problems import BadValue

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    ``required`` columns must be in the header and every cell must have a value. Optional
    columns may be left out of the header (stored values are then kept); when present, an
    empty cell means "no value" (no date, blank text, false).
    ``decimal_places`` tells the Parquet reader how to turn floating-point cells into text.
    """

    name: str
    parse: Parser
    required: bool = True
    decimal_places: int | None = None


_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?[eE]\+[0-9]+$")
_PLAIN_CODE = re.compile(r"[A-Za-z0-9_./-]+")
_PLAIN_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]*))?")


def _quote(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return '"' + shown + '"'


def code(max_length: int) -> Parser:
    """An identifier such as a customer number: no spaces inside, at most ``max_length``."""

    def parse(text: str) -> str:
        if len(text) <= max_length and _PLAIN_CODE.fullmatch(text) and not _SCIENTIFIC.match(text):
            return text
        if _SCIENTIFIC.match(text):
            raise BadValue(
                _(
                    "{value} looks like a number a spreadsheet turned into scientific "
                    "notation; format the column as Text and export again"
                ).format(value=_quote(text))
            )
        if any(ch.isspace() for ch in text):
            raise BadValue(
                _("{value} contains spaces; identifiers have none").format(value=_quote(text))
            )
        if len(text) > max_length:
            raise BadValue(
                _("{value} is longer than {limit} characters").format(
                    value=_quote(text), limit=max_length
                )
            )
        return text

    return parse


def text(max_length: int | None = None) -> Parser:
    def parse(value: str) -> str:
        if max_length is not None and len(value) > max_length:
            raise BadValue(
                _("{value} is longer than {limit} characters").format(
                    value=_quote(value), limit=max_length
                )
            )
        return value

    return parse


_NATIONAL_ID = re.compile(r"^([0-9]{17}[0-9X]|[0-9]{15})$")


def national_id(value: str) -> str:
    if _SCIENTIFIC.match(value):
        return code(18)(value)  # raises the scientific-notation hint
    normalised = value.upper()
    if not _NATIONAL_ID.match(normalised):
        raise BadValue(
            _(
                "{value} is not a national ID number; use 18 characters (17 digits and a "
                "digit or X) or the old 15 digits"
            ).format(value=_quote(value))
        )
    return normalised


_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,18}$")


def phone(value: str) -> str:
    if not _PHONE.match(value):
        raise BadValue(
            _("{value} is not a phone number; use digits, optionally with + - and spaces").format(
                value=_quote(value)
            )
        )
    return value


# A time of exactly midnight may follow a date: spreadsheets and Parquet timestamps add it.
_MIDNIGHT = r"(?:[T ]00:00(?::00(?:\.0+)?)?)?"
_DATE = re.compile(r"^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})" + _MIDNIGHT + "$")


@functools.lru_cache(maxsize=8192)
def date(value: str) -> dt.date:
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    except ValueError:
        raise BadValue(
            _("{value} is not a date; use YYYY-MM-DD").format(value=_quote(value))
        ) from None


_MONTH = re.compile(r"^([0-9]{4})[-/]([0-9]{1,2})(?:[-/]0?1" + _MIDNIGHT + ")?$")


@functools.lru_cache(maxsize=1024)
def month(value: str) -> dt.date:
    """``YYYY-MM`` (a first-of-month date ``YYYY-MM-01`` is accepted too) -> first day."""
    match = _MONTH.match(value)
    if match is not None and 1 <= int(match.group(2)) <= 12:
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
    raise BadValue(_("{value} is not a month; use YYYY-MM").format(value=_quote(value)))


_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def datetime(value: str) -> dt.datetime:
    """ISO 8601 date and time; without an offset it is local time (the TIME_ZONE setting)."""
    try:
        if not _DATETIME.match(value):
            raise ValueError(value)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(
            _(
                "{value} is not a date and time; use YYYY-MM-DD HH:MM:SS, optionally with an "
                "offset such as +08:00"
            ).format(value=_quote(value))
        ) from None
    if timezone.is_naive(parsed):
        return timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


def _decimal_value(value: str) -> Decimal:
    if "," in value or "，" in value:
        raise BadValue(
            _("{value} is not a number; write it without thousands separators").format(
                value=_quote(value)
            )
        )
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise BadValue(
            _("{value} is not a number; use digits with a dot for decimals, e.g. 12.50").format(
                value=_quote(value)
            )
        )
    return number


def decimal(max_digits: int, places: int, *, negative: bool = False) -> Parser:
    quantum = Decimal(1).scaleb(-places)
    limit = Decimal(10) ** (max_digits - places)

    integer_digits = max_digits - places

    def parse(value: str) -> Decimal:
        plain = _PLAIN_DECIMAL.fullmatch(value)
        if (
            plain is not None
            and (negative or not plain.group(1))
            and len(plain.group(2).lstrip("0")) <= integer_digits
            and len((plain.group(3) or "").rstrip("0")) <= places
        ):
            return Decimal(value)
        number = _decimal_value(value)
        rounded = number.quantize(quantum) if abs(number) < limit else number
        if rounded != number:
            raise BadValue(
                _("{value} has more than {places} decimal places").format(
                    value=_quote(value), places=places
                )
            )
        if abs(number) >= limit:
            raise BadValue(
                _("{value} is too large; at most {digits} digits before the decimal point").format(
                    value=_quote(value), digits=max_digits - places
                )
            )
        if number < 0 and not negative:
            raise BadValue(_("{value} is negative; use 0 or more").format(value=_quote(value)))
        return rounded

    return parse


def whole_number(maximum: int = 2_147_483_647) -> Parser:
    def parse(value: str) -> int:
        if value.isascii() and value.isdigit() and len(value) < 10 and int(value) <= maximum:
            return int(value)
        number = _decimal_value(value)
        if number != number.to_integral_value():
            raise BadValue(_("{value} is not a whole number").format(value=_quote(value)))
        if number < 0:
            raise BadValue(_("{value} is negative; use 0 or more").format(value=_quote(value)))
        if number > maximum:
            raise BadValue(
                _("{value} is too large; at most {limit}").format(
                    value=_quote(value), limit=maximum
                )
            )
        return int(number)

    return parse


_TRUE = {"true", "t", "yes", "y", "1", "是"}
_FALSE = {"false", "f", "no", "n", "0", "否"}


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadValue(
        _("{value} is not true or false; use true or false (1/0 and yes/no work too)").format(
            value=_quote(value)
        )
    )


def choice(allowed: Sequence[str]) -> Parser:
    """One of ``allowed``, matched without regard to case."""
    by_lower = {option.lower(): option for option in allowed}

    def parse(value: str) -> str:
        found = by_lower.get(value.lower())
        if found is None:
            raise BadValue(
                _("{value} is not allowed; use one of: {allowed}").format(
                    value=_quote(value), allowed=", ".join(allowed)
                )
            )
        return found

    return parse


_ITEM_AMOUNT = decimal(12, 2, negative=True)
ITEM_CODE = re.compile(r"^[a-z0-9_]{1,40}$")


def item_amount(value: str) -> str:
    """A bill item's amount, stored as text with two decimals as the Bill model wants."""
    return f"{_ITEM_AMOUNT(value):.2f}"


def bill_items(value: str) -> dict[str, str]:
    """A JSON object of item code -> amount, e.g. ``{"plan_fee": "129.00", "data": 10}``."""
    example = '{"plan_fee": "129.00"}'
    try:
        loaded = json.loads(value)
    except json.JSONDecodeError as exc:
        raise BadValue(
            _("{value} is not JSON ({error}); write an object such as {example}").format(
                value=_quote(value), error=exc.msg, example=example
            )
        ) from None
    if not isinstance(loaded, dict):
        raise BadValue(
            _("{value} is not a JSON object; write an object such as {example}").format(
                value=_quote(value), example=example
            )
        )
    items: dict[str, str] = {}
    for key, amount in loaded.items():
        if not ITEM_CODE.match(key):
            raise BadValue(
                _(
                    "item code {code} is not allowed; use lower-case letters, digits and _ "
                    "(at most 40)"
                ).format(code=_quote(key))
            )
        if isinstance(amount, bool) or not isinstance(amount, int | float | str):
            raise BadValue(
                _("item {code} has no amount; give a number such as 12.50").format(code=_quote(key))
            )
        try:
            items[key] = item_amount(str(amount).strip())
        except BadValue as exc:
            raise BadValue(
                _("item {code}: {problem}").format(code=_quote(key), problem=exc)
            ) from None
    return items
