"""Chinese personal names and national ID numbers, drawn in bulk."""

from __future__ import annotations

import numpy as np

from wanliu.customers.generator.catalogue import (
    GIVEN_FEMALE,
    GIVEN_MALE,
    ID_DISTRICT_SUFFIXES,
    MIGRANT_ID_PREFIXES,
    SURNAMES,
)

_SURNAME_CHARS = np.array([s for s, _w in SURNAMES], dtype=object)
_SURNAME_P = np.array([w for _s, w in SURNAMES], dtype=float)
_SURNAME_P /= _SURNAME_P.sum()
_MALE = np.array(GIVEN_MALE, dtype=object)
_FEMALE = np.array(GIVEN_FEMALE, dtype=object)

# ISO 7064 MOD 11-2 weights and check characters of the 18-digit resident ID (GB 11643).
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"), dtype=object)


def names_draw(rng: np.random.Generator, male: np.ndarray) -> list[str]:
    """Chinese full names: a surname and one or two given-name characters by sex."""
    n = len(male)
    surname = _SURNAME_CHARS[rng.choice(len(_SURNAME_CHARS), size=n, p=_SURNAME_P)]
    first_m = _MALE[rng.integers(0, len(_MALE), n)]
    first_f = _FEMALE[rng.integers(0, len(_FEMALE), n)]
    second_m = _MALE[rng.integers(0, len(_MALE), n)]
    second_f = _FEMALE[rng.integers(0, len(_FEMALE), n)]
    first = np.where(male, first_m, first_f)
    second = np.where(male, second_m, second_f)
    two_chars = rng.random(n) < 0.7
    second = np.where(two_chars, second, "")
    return [
        a + b + c for a, b, c in zip(surname.tolist(), first.tolist(), second.tolist(), strict=True)
    ]


def national_ids_draw(
    rng: np.random.Generator,
    *,
    region_prefix: np.ndarray,
    birth_day: np.ndarray,
    male: np.ndarray,
) -> list[str]:
    """Plausible 18-digit resident IDs: area, birth date, sequence with sex, check digit.

    ``region_prefix`` is the four-digit area prefix (int) of the holder's home region;
    about one in seven holders gets a prefix of another province (migrants).
    ``birth_day`` holds days since 1970-01-01.
    """
    n = len(male)
    migrants = np.array([int(p) for p in MIGRANT_ID_PREFIXES], dtype=np.int64)
    prefix = np.where(
        rng.random(n) < 0.14, migrants[rng.integers(0, len(migrants), n)], region_prefix
    ).astype(np.int64)
    suffixes = np.array([int(s) for s in ID_DISTRICT_SUFFIXES], dtype=np.int64)
    area = prefix * 100 + suffixes[rng.integers(0, len(suffixes), n)]
    births = birth_day.astype("datetime64[D]")
    month_of = births.astype("datetime64[M]")
    year = month_of.astype(np.int64) // 12 + 1970
    month = month_of.astype(np.int64) % 12 + 1
    day = (births - month_of.astype("datetime64[D]")).astype(np.int64) + 1
    yyyymmdd = year * 10000 + month * 100 + day
    # The sequence number is odd for men and even for women.
    seq = rng.integers(0, 500, n).astype(np.int64) * 2 + np.where(male, 1, 0)
    body = area * 10**11 + yyyymmdd * 1000 + seq
    powers = 10 ** np.arange(16, -1, -1, dtype=np.int64)
    digits = (body[:, None] // powers[None, :]) % 10
    check = _ID_CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    return [f"{b:017d}{c}" for b, c in zip(body.tolist(), check.tolist(), strict=True)]


def national_id_is_valid(value: str) -> bool:
    """True when ``value`` is 17 digits and the right check character (GB 11643)."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(ch) * int(w) for ch, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return bool(value[17] == _ID_CHECK[total % 11])
