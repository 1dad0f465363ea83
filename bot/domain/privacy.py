"""Personal data where it must not be: a guard for text that can reach a channel or a log.

Pure: no Slack, no database, no clock. Case references and organisation (provision) names travel
to channels, DMs, logs and the audit trail, so what people type there is checked before it is kept:
`personal_data_in(text)` says what kind of personal data the text seems to hold (`PersonalData`: an NHS
number, a date, a UK postcode, a UK phone number or an e-mail address), never repeating it; each
surface words the refusal that names the kind (messages/refusals.py).

What is recognised, and what is deliberately not:
- an NHS number: 10 digits, single spaces or hyphens allowed between them, with a valid
  modulus-11 check digit (the NHS Data Dictionary's algorithm). Ten digits that fail the check are
  not an NHS number (about 10 in 11 random 10-digit numbers fail it);
- a date: day, month and year written with "/", "-" or "." (either order of day and month, a 2- or
  4-digit year), an ISO date (2014-03-05), or a written month next to a day or a year ("5 March",
  "5th of Mar 2014", "March 5", "March 2014"). Digits run together (05032014) are not taken for a
  date: that would refuse ordinary case references;
- a UK postcode, with or without its space, in any letter case;
- a UK phone number: 0 then ten digits, or +44 then ten digits (an optional "(0)"), with spaces,
  hyphens or brackets between. The few ten-digit national numbers (0 then nine digits) are not
  caught, for the same reason as run-together dates;
- an e-mail address.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["PersonalData", "is_nhs_number", "personal_data_in", "reference_pattern_warnings"]


class PersonalData(StrEnum):
    """The kinds of personal data `personal_data_in` recognises."""

    NHS_NUMBER = "nhs_number"
    EMAIL = "email"
    PHONE = "phone"
    DATE = "date"
    POSTCODE = "postcode"


_NHS_CANDIDATE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){9}(?![ -]?[0-9])")

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_WRITTEN_DATE = re.compile(
    rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b\.?"  # 5 March, 5th of Mar
    rf"|\b{_MONTH}\.?\s+{_DAY}\b"  # March 5, Mar 5th
    rf"|\b{_MONTH}\.?,?\s+(?:19|20)[0-9]{{2}}\b",  # March 2014
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9])")
_ISO_DATE = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}([/.\-])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12][0-9]|3[01])(?![0-9])")
_POSTCODE = re.compile(
    r"\b(?:GIR\s?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-HJKMNPR-Z0-9]?\s?[0-9][ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)
_PHONE = re.compile(
    r"(?<![0-9+])(?:\+\s?44\s?(?:\(0\)\s?)?|\(?0)(?:[\s\-)(]*[1-9])(?:[\s\-)(]*[0-9]){9}(?![0-9])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


def is_nhs_number(digits: str) -> bool:
    """True when `digits` (ten of them, nothing else) carry a valid NHS modulus-11 check digit."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _has_nhs_number(text: str) -> bool:
    return any(is_nhs_number(re.sub(r"[ -]", "", match.group())) for match in _NHS_CANDIDATE.finditer(text))


def _has_date(text: str) -> bool:
    if _WRITTEN_DATE.search(text) or _ISO_DATE.search(text):
        return True
    for match in _NUMERIC_DATE.finditer(text):
        first, second = int(match.group(1)), int(match.group(3))
        if 1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12:
            return True
    return False


_KINDS = (
    (_has_nhs_number, PersonalData.NHS_NUMBER),
    (lambda text: _EMAIL.search(text) is not None, PersonalData.EMAIL),
    (lambda text: _PHONE.search(text) is not None, PersonalData.PHONE),
    (_has_date, PersonalData.DATE),
    (lambda text: _POSTCODE.search(text) is not None, PersonalData.POSTCODE),
)


def personal_data_in(text: str) -> PersonalData | None:
    """The kind of personal data `text` seems to hold (the first found, in the order above), or None
    when nothing was recognised."""
    for found, kind in _KINDS:
        if found(text):
            return kind
    return None


# What a council's reference pattern is tried against: one of each kind of personal data, and names.
_VALID_NHS_NUMBERS = ("9434765919", "943 476 5919", "943-476-5919", "4010232137")
_OTHER_PERSONAL_DATA = (
    ("a date of birth", ("12/03/2015", "12-03-2015", "12.03.2015", "2015-03-12", "12 March 2015")),
    ("a postcode", ("SW1A 1AA", "SW1A1AA", "B12 3AB")),
    ("a phone number", ("07700 900123", "07700900123", "+447700900123")),
    ("an e-mail address", ("jane.doe@example.org",)),
)
_NAMES = ("Jane", "jane", "Smith", "Jane Doe", "JaneDoe", "JD", "jd", "O'Neil", "Anne-Marie")


def _letters_in(example: str) -> list[str]:
    """The example with letters put in: each digit replaced by a letter, each letter by another
    (a fixed prefix such as "MOS" survives only unchanged), and a letter added at each end."""
    tries = [f"A{example}", f"{example}A", f"a{example}", f"{example}a"]
    for at, char in enumerate(example):
        if char.isdigit() or char.isalpha():
            tries += [example[:at] + other + example[at + 1:] for other in "QqXx" if other != char]
    return tries


def reference_pattern_warnings(pattern: str, example: str) -> list[str]:
    """What `pattern` (a case-reference regular expression, matched in full) would let through that
    could identify a person: a valid NHS number, letters (a name or initials), a date of birth, a
    postcode, a phone number or an e-mail address. One sentence each, for `panelbot policy check`
    to print as warnings; empty when there is nothing to say. An invalid pattern is the policy
    loader's to refuse, so it gets no warning here."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return []

    def accepts(text: str) -> bool:
        return compiled.fullmatch(text) is not None

    warnings = []
    if any(accepts(number) for number in _VALID_NHS_NUMBERS):
        warnings.append(
            "the case reference pattern accepts a valid NHS number. panelbot refuses any reference that "
            "passes the NHS number check (about 1 in 11 ten-digit numbers do), so a genuine ten-digit "
            "reference can be refused too; if your case-system IDs are never ten digits long, narrow "
            "the pattern (e.g. [0-9]{5,9})."
        )
    if any(accepts(text) for text in (*_NAMES, *_letters_in(example))):
        warnings.append(
            "the case reference pattern accepts letters, so a name or initials could be typed as a "
            "reference and would then appear in channels, DMs, logs and the audit trail; allow only "
            "the letters your case system uses (e.g. a fixed prefix such as MOS[0-9]{6})."
        )
    for kind, examples in _OTHER_PERSONAL_DATA:
        if any(accepts(text) for text in examples):
            warnings.append(f"the case reference pattern accepts {kind}; make it match only your case-system IDs.")
    return warnings
