"""Reading typed days (ISO year first, slashes day first, words) and what text panelbot will store."""

from datetime import date

import pytest

from bot.domain.days import NotADay, read_day
from bot.domain.text import command_problem, form_problems, text_problem
from bot.refusals import Problem, Refusal
from messages.refusals import words

TODAY = date(2026, 11, 24)
CONTROL_CHARACTERS = Problem(Refusal.UNSTORABLE_TEXT)


@pytest.mark.parametrize(("typed", "day"), [
    ("", TODAY), ("today", TODAY), ("Tomorrow", date(2026, 11, 25)), ("2027-05-12", date(2027, 5, 12)),
    ("2027-5-2", date(2027, 5, 2)), ("12/05/2027", date(2027, 5, 12)), ("12/5/27", date(2027, 5, 12)),
    ("12.05.2027", date(2027, 5, 12)), ("1/12", date(2026, 12, 1)), ("1 December", date(2026, 12, 1)),
    ("1st Dec 2027", date(2027, 12, 1)), ("December 1, 2027", date(2027, 12, 1)), ("29/02/2028", date(2028, 2, 29)),
])
def test_a_typed_day_is_read_iso_year_first_and_slashed_day_first(typed, day):
    assert read_day(typed, TODAY) == day


@pytest.mark.parametrize(("typed", "sentence"), [
    ("2027-02-30", "There is no 30 February 2027: February 2027 has 28 days."),
    ("31/04/2027", "There is no 31 April 2027: April 2027 has 30 days."),
    ("29/02/2027", "There is no 29 February 2027: February 2027 has 28 days."),
    ("0/1/2027", "There is no 0 January 2027: January 2027 has 31 days."),
    ("12/13/2027", "There is no month 13: months go from 1 to 12."),
    ("31 June", "There is no 31 June 2026: June 2026 has 30 days."),
])
def test_an_impossible_day_says_so(typed, sentence):
    day = read_day(typed, TODAY)
    assert isinstance(day, NotADay)
    assert words(day) == sentence


@pytest.mark.parametrize("typed", ["next blue moon", "2027-05", "12/05/2027/1", "Smarch 3", "١٢/٠٥/٢٠٢٧"])
def test_what_is_not_a_way_of_writing_a_day_is_none(typed):
    assert read_day(typed, TODAY) is None


@pytest.mark.parametrize("text", ["\x00", "a\x1bb", "\x7f", "\x85", "\ud800", "\x0b"])
def test_control_characters_and_lone_surrogates_cannot_be_stored(text):
    assert text_problem(text) == CONTROL_CHARACTERS


def test_tabs_and_new_lines_and_any_language_are_ordinary_typing():
    assert text_problem("Line one\r\nLine two\tand Siân, Zoë, 李, ١٢") is None


def test_text_over_the_limit_is_refused_with_its_length():
    problem = text_problem("x" * 3001)
    assert problem == Problem(Refusal.TEXT_OVER_LIMIT, limit=3000, length=3001)
    assert words(problem) == "Keep this under 3,000 characters (it has 3,001)."
    assert text_problem("x" * 3000) is None


def test_a_command_that_cannot_be_stored_is_called_a_command():
    assert words(command_problem("book\x00", limit=500)) == (
        "That command has characters panelbot cannot store (such as NUL or other control characters): remove them.")
    assert command_problem("x" * 501, limit=500) == Problem(Refusal.TEXT_OVER_LIMIT, limit=500, length=501)
    assert command_problem("book 1234567", limit=500) is None


def test_form_problems_name_each_field_that_cannot_be_stored():
    answers = {"a": "fine", "b": "nul\x00", "c": ["ok", "bad\x01"], "d": None}
    assert form_problems(answers) == {"b": CONTROL_CHARACTERS, "c": CONTROL_CHARACTERS}
