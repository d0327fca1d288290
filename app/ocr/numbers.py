"""Misreads inside numbers. Handwritten 0 and 1 come back as O, o, I, l or |; a handwritten
blood-pressure slash comes back as 1 ("BP 148192").

Doses, dates and readings are what users check first, so a token that is plainly a number
(digits, separators, and such a letter after a digit) is repaired. Tokens that may be words or
units are left alone: O2 (oxygen), 2l (litres), lO.
"""

from __future__ import annotations

import re

_NUMBER_LIKE = re.compile(r"(?<!\S)[0-9OoIl|][0-9OoIl|.,/:%-]*(?!\S)")
_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})


def repair_numbers(text: str) -> str:
    return _NUMBER_LIKE.sub(_repair, text)


def _repair(match: re.Match[str]) -> str:
    token = match.group(0)
    digits = sum(char.isdigit() for char in token)
    if digits == 0 or digits == len(token):
        return token
    if digits < 2 and not token[0].isdigit():  # O2, I5: a letter and a digit, maybe a name
        return token
    if token.endswith("l"):  # 2l, 1.5l: litres
        return token
    return token.translate(_AS_DIGIT)


# A reading labelled BP whose digits are a systolic and a diastolic pressure with a 1 between
# them. Nothing else is touched: the label says a slash belongs there, and one number of five to
# seven digits is no blood pressure.
_BP_WITHOUT_SLASH = re.compile(r"\b(BP|B/P)(\W{0,3}?)(\d{5,7})\b", re.IGNORECASE)


def repair_blood_pressure(text: str) -> tuple[str, bool]:
    """`text` with "BP 148192" read as "BP 148/92", and whether anything was repaired (the
    line then needs review). Only when exactly one 1 splits the digits into two plausible
    pressures: systolic 70-250 above diastolic 30-150, each two or three digits."""
    repaired = False

    def repair(match: re.Match[str]) -> str:
        nonlocal repaired
        label, gap, digits = match.groups()
        readings = [
            f"{digits[:at]}/{digits[at + 1 :]}"
            for at in range(2, 4)
            if digits[at] == "1" and _plausible(digits[:at], digits[at + 1 :])
        ]
        if len(readings) != 1:
            return match.group(0)
        repaired = True
        return f"{label}{gap}{readings[0]}"

    return _BP_WITHOUT_SLASH.sub(repair, text), repaired


def _plausible(systolic: str, diastolic: str) -> bool:
    if not 2 <= len(diastolic) <= 3 or diastolic.startswith("0"):
        return False
    high, low = int(systolic), int(diastolic)
    return 70 <= high <= 250 and 30 <= low <= 150 and high > low
