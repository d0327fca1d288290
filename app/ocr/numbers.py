"""Letters misread inside numbers: handwritten 0 and 1 come back as O, o, I, l or |.

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
