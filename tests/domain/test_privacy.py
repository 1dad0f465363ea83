"""The personal-data guard (bot/domain/privacy.py): what it finds, what it leaves alone, and what it
says about a council's case-reference pattern."""

import pytest

from bot.domain.privacy import is_nhs_number, personal_data_in, reference_pattern_warnings
from bot.domain.submission import FormErrors, parse_submission
from messages.refusals import PERSONAL_DATA, words
from tests.conftest import FORUM_ANSWERS


@pytest.mark.parametrize("digits", ["9434765919", "4010232137", "4505577104"])
def test_a_valid_nhs_number_passes_the_modulus_11_check(digits):
    assert is_nhs_number(digits)


@pytest.mark.parametrize("digits", ["9434765918", "1234567890", "123456789", "94347659190", "943476591a"])
def test_a_wrong_check_digit_or_length_is_not_an_nhs_number(digits):
    assert not is_nhs_number(digits)


def test_a_check_digit_of_10_is_never_valid():
    # The ninth digit's weight is 2: 6 * 2 = 12 leaves 1 over 11, so the check digit would be 10.
    assert not any(is_nhs_number(f"000000006{d}") for d in range(10))


@pytest.mark.parametrize(("text", "kind"), [
    ("9434765919", "an NHS number"),
    ("943 476 5919", "an NHS number"),
    ("NHS no 943-476-5919 on file", "an NHS number"),
    ("born 03/04/2012", "a date"),
    ("3-4-12", "a date"),
    ("2012-04-03", "a date"),
    ("DOB 3rd April 2012", "a date"),
    ("5 of March", "a date"),
    ("March 5th", "a date"),
    ("Sept 2014", "a date"),
    ("SW1A 1AA", "a postcode"),
    ("lives at b12 3ab", "a postcode"),
    ("M11AE", "a postcode"),
    ("07700 900123", "a phone number"),
    ("(01632) 960 001", "a phone number"),
    ("+44 (0)7700 900123", "a phone number"),
    ("+447700900123", "a phone number"),
    ("jane.doe@example.org", "an e-mail address"),
])
def test_personal_data_is_found_and_named_by_kind_never_echoed(text, kind):
    found = personal_data_in(text)
    assert found is not None and PERSONAL_DATA[found] == kind
    assert text not in found


@pytest.mark.parametrize("text", [
    "1234567", "12345", "1234567890", "0123456780", "Oakwood House", "Sunrise Care Ltd", "Unit 4 Fostering",
    "£412.50", "12.50", "45 hours", "Flat 2b", "", "   ", "C-7654321", "May House", "the 2020s",
])
def test_ordinary_references_and_organisation_names_pass(text):
    assert personal_data_in(text) is None


def test_the_default_reference_pattern_is_warned_about_nhs_numbers_but_nothing_else():
    [warning] = reference_pattern_warnings("[0-9]{5,10}", "1234567")
    assert "accepts a valid NHS number" in warning and "[0-9]{5,9}" in warning
    assert reference_pattern_warnings("[0-9]{5,9}", "1234567") == []


def test_a_pattern_with_free_letters_is_warned_about_names_but_a_fixed_prefix_is_not():
    assert any("accepts letters" in w for w in reference_pattern_warnings("[A-Z]{2}[0-9]{6}", "AB123456"))
    assert any("accepts letters" in w for w in reference_pattern_warnings("[A-Za-z ]+", "Jane"))
    assert reference_pattern_warnings("MOS[0-9]{6}", "MOS123456") == []


def test_a_pattern_that_takes_anything_is_warned_about_every_kind():
    warnings = " ".join(reference_pattern_warnings(".+", "1234567"))
    for kind in ("NHS number", "letters", "date of birth", "postcode", "phone number", "e-mail address"):
        assert kind in warnings


def test_an_invalid_pattern_is_left_to_the_policy_loader():
    assert reference_pattern_warnings("[0-9", "1") == []


@pytest.mark.parametrize("reference", ["9434765919", "943 476 5919"])
def test_a_case_reference_that_is_an_nhs_number_is_refused_with_a_sentence_that_does_not_repeat_it(
        reference, default_policy):
    with pytest.raises(FormErrors) as refused:
        parse_submission({**FORUM_ANSWERS, "reference": reference}, policy=default_policy, submitter="U0PRIYA")
    sentence = words(refused.value.errors["reference"])
    assert sentence.startswith("That looks like it holds an NHS number. Use the case-system ID, like 1234567")
    assert "943" not in sentence and len(sentence) < 150


def test_a_ten_digit_reference_that_fails_the_nhs_check_is_accepted(default_policy):
    submission = parse_submission({**FORUM_ANSWERS, "reference": "1234567890"}, policy=default_policy,
                                  submitter="U0PRIYA")
    assert submission.reference == "1234567890"
