"""Refusals are codes with facts in the core and sentences on the surfaces (bot/refusals.py,
messages/refusals.py): every code has words that use exactly its facts, no sentence is written in a
raise in bot/, each surface shows a refusal's people and commands its own way, and what a person typed
goes back to them and never to a log."""

from __future__ import annotations

import ast
import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot import markup
from bot.domain.cases import Stage
from bot.domain.decisions import DecisionKind
from bot.domain.privacy import PersonalData
from bot.domain.submission import FormKey
from bot.errors import UserError
from bot.refusals import Problem, Refusal
from bot.services.cover import CoverRefused
from bot.services.spot_checks import SpotCheckRefused
from bot.services.visits import VisitRefused
from handlers.teams.auth import BotTokens
from handlers.teams.bot import TeamsBot
from handlers.teams.connector import Connector
from messages.refusals import SENTENCES, WORDINGS, placeholders, words
from messages.slack.format import said, said_each
from tests.conftest import dispatch

ROOT = Path(__file__).resolve().parent.parent
CANARY = "Mrs Canary Example"
SLACK_PERSON = "U0SQAO0001"
TEAMS_PERSON = "teams:3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"

# A value of the right kind for every fact any refusal takes: a new fact name needs one here.
FACTS = {
    "amount": FormKey.PROPOSED_WEEKLY,
    "attendance": ("an advanced practitioner", "a service manager"),
    "body": "Enhanced Peer Forum",
    "choice": FormKey.AGE_BAND,
    "day": date(2026, 11, 24),
    "days": 60,
    "example": "1234567",
    "first_day": date(2026, 11, 24),
    "found": PersonalData.NHS_NUMBER,
    "hours": 24,
    "kind": DecisionKind.ENDORSEMENT,
    "last": 30,
    "last_day": date(2026, 12, 4),
    "length": 3001,
    "limit": 3000,
    "missing": ((1, "parent_representative"),),
    "month": 6,
    "name": "Oakwood House",
    "other": "SEND Quality Assurance Panel",
    "person": SLACK_PERSON,
    "reason": "£412.00/wk is over the £350.00 threshold",
    "reference": "1234567",
    "role": "team_managers",
    "roles": ("service_managers", "heads_of_service"),
    "stage": Stage.AWAITING_BOOKING,
    "starts_at": datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
    "at": datetime(2026, 11, 24, 10, 5, tzinfo=UTC),
    "until": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
    "state": "concern",
    "weekly": Decimal("412.00"),
    "year": 2026,
}


def sample(code: Refusal) -> Problem:
    return Problem(code, **{name: FACTS[name] for name in code.facts})


# --- Every code has words, and the words use exactly its facts ------------------------------------------


def test_every_refusal_has_a_sentence_and_every_sentence_a_refusal():
    assert set(SENTENCES) == set(Refusal)


def test_codes_are_distinct_snake_case_and_their_facts_are_named_once():
    assert len({code.value for code in Refusal}) == len(Refusal)
    for code in Refusal:
        assert code.value == code.name.lower()
        assert len(set(code.facts)) == len(code.facts), code
        assert not {"code", "field"} & set(code.facts), f"{code}: `code` and `field` are UserError's own"


@pytest.mark.parametrize("code", list(Refusal), ids=lambda code: code.value)
def test_a_sentence_names_exactly_the_facts_its_code_declares_and_words_each_one(code):
    used = placeholders(SENTENCES[code])
    assert set(used) == set(code.facts)
    for hows in used.values():
        for how in hows - {""}:
            assert how in WORDINGS or how == ",", f"{code}: no wording {how!r}"
    sentence = markup.plain(words(sample(code)))  # people and commands as their words
    assert "{" not in sentence and "}" not in sentence, sentence


def test_a_refusal_is_checked_against_its_facts_when_it_is_made():
    with pytest.raises(TypeError, match="case_in_flight takes the facts"):
        Problem(Refusal.CASE_IN_FLIGHT, reference="1234567")
    with pytest.raises(TypeError):
        VisitRefused(Refusal.VISIT_NOT_OPEN, reference="1234567")
    with pytest.raises(TypeError):
        CoverRefused(Refusal.COVER_CLASH, first_day=date(2026, 11, 24))


def test_the_case_form_sentences_fit_under_a_field():
    form = {code for code in Refusal if code.value in {
        "answer_unreadable", "reference_needed", "reference_personal", "reference_shape", "money_unreadable",
        "money_negative", "money_over_max", "hours_over_month", "respite_over_year", "form_text_too_long",
        "evidence_unlisted", "listed_needed", "listed_unknown"}}
    assert all(len(words(sample(code))) < 150 for code in form)


# --- The core writes no sentences ------------------------------------------------------------------------


def _refusers() -> set[str]:
    """The names of UserError and every class in bot/ and handlers/ that derives from it, with the core's
    other refusal values and the case form's own `_refuse`."""
    bases: dict[str, set[str]] = {}
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
                    for base in node.bases)
    found = {"UserError", "Problem"}
    grew = True
    while grew:
        more = {name for name, parents in bases.items() if parents & found} - found
        found |= more
        grew = bool(more)
    return found | {"_refuse"}


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(
        node.func, ast.Attribute) else ""


def _sentences_written_in_refusals(source: str, name: str, refusers: set[str]) -> list[str]:
    """Each call of a refuser in `source` given words (an f-string, or a string with a space in it; a form
    field's key has none): a sentence where a code and its facts belong."""
    offences = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Call) and _called(node) in refusers:
            for arg in [*node.args, *(keyword.value for keyword in node.keywords)]:
                if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                                      and " " in arg.value):
                    offences.append(f"{name}:{node.lineno} {_called(node)}(…)")
    return offences


def test_no_refusal_in_bot_or_the_handlers_is_made_with_a_sentence():
    refusers = _refusers()
    assert {"VisitRefused", "BookingRefused", "SlotTaken", "CaseInFlight", "NotADay", "PeriodError"} <= refusers
    paths = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")])
    offences = [offence for path in paths
                for offence in _sentences_written_in_refusals(path.read_text(), str(path.relative_to(ROOT)), refusers)]
    assert offences == []


def test_the_scan_finds_the_sentences_panelbot_used_to_write_in_a_raise():
    source = ('def f(x):\n'
              '    raise VisitRefused(f"There is no {x}.", field="name")\n'
              '    raise BookingRefused("That slot is in the past.")\n'
              '    raise BookingRefused(Refusal.SLOT_IN_PAST)\n')
    assert _sentences_written_in_refusals(source, "old.py", {"VisitRefused", "BookingRefused"}) == [
        "old.py:2 VisitRefused(…)", "old.py:3 BookingRefused(…)"]


# --- What a log or a traceback can see -------------------------------------------------------------------


def test_str_and_repr_of_a_refusal_are_its_code_never_its_facts():
    refused = VisitRefused(Refusal.NO_SUCH_PROVISION, name=CANARY)
    assert str(refused) == "no_such_provision"
    assert CANARY not in repr(refused) and CANARY not in str(refused.problem) and CANARY not in repr(refused.problem)
    assert refused.code is Refusal.NO_SUCH_PROVISION and refused.facts == {"name": CANARY}
    assert isinstance(refused, UserError) and refused.field is None
    assert CANARY in words(refused)  # …but the person who typed it reads it back


def test_a_provision_name_typed_in_a_command_goes_back_to_that_person_and_never_to_the_log(
        app, signer, slack, policy, caplog):
    slack.groups[policy.members("placement_commissioning_officers")[0]] = ["U0PCO0001"]
    caplog.set_level(logging.DEBUG)
    answer = json.loads(dispatch(app, signer.command("U0PCO0001", f"concern {CANARY} House")).body)
    assert answer["text"] == f"panelbot knows no provision called '{CANARY} House'."
    # panelbot's own lines (Slack's libraries' chatter below WARNING is dropped in production: bot/logs.py)
    ours = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("panelbot"))
    assert "refused: no_such_provision" in ours
    assert CANARY not in ours


def test_a_fact_cannot_make_a_mention():
    sentence = said(VisitRefused(Refusal.NO_SUCH_PROVISION, name="{{@U0EVERYONE}}"))
    assert "<@U0EVERYONE>" not in sentence and "U0EVERYONE" in sentence


# --- Each surface words the same refusal ------------------------------------------------------------------


@pytest.fixture
def teams_bot(services):
    connector = Connector(BotTokens("00000000-0000-0000-0000-000000000000", "unused",
                                    token_url="https://127.0.0.1:9/unused"), timeout=1)
    return TeamsBot(services, connector, names={TEAMS_PERSON: "Sam Okafor"})


def test_both_surfaces_word_a_refusal_that_names_a_person_each_their_own_way(teams_bot):
    on = date(2026, 11, 24)
    slack_checker = SpotCheckRefused(Refusal.SPOT_CHECK_DONE_BY, reference="1234567", state="agreed",
                                     person=SLACK_PERSON, day=on)
    teams_checker = SpotCheckRefused(Refusal.SPOT_CHECK_DONE_BY, reference="1234567", state="agreed",
                                     person=TEAMS_PERSON, day=on)
    start, end = "The spot check of case 1234567 was already recorded (agreed) by ", " on Tuesday 24 November 2026."

    assert said(slack_checker) == f"{start}<@{SLACK_PERSON}>{end}"
    assert teams_bot.said(teams_checker) == f"{start}Sam Okafor{end}"
    # Neither surface can mention the other's people: each says so in neutral words.
    assert said(teams_checker) == f"{start}a colleague on Teams{end}"
    assert teams_bot.said(slack_checker) == f"{start}a colleague on Slack{end}"


def test_both_surfaces_word_a_refusal_that_names_a_command_each_their_own_way(teams_bot):
    clash = CoverRefused(Refusal.COVER_CLASH, field="first_day", first_day=date(2026, 11, 24),
                         last_day=date(2026, 12, 4))
    in_flight = UserError(Refusal.CASE_IN_FLIGHT, reference="1234567", stage=Stage.BOOKED, body="Enhanced Peer Forum")

    assert said(clash) == ("You already have cover from Tuesday 24 November 2026 to Friday 4 December 2026: end it "
                           "first (`/panel away off`).")
    assert teams_bot.said(clash).endswith("end it first (\u201caway off\u201d).")
    assert said(in_flight).endswith("Use `/panel case 1234567` to see it.")
    assert teams_bot.said(in_flight).endswith("Use \u201ccase 1234567\u201d to see it.")
    assert clash.field == "first_day" and in_flight.field is None


def test_a_form_refusal_reads_the_same_on_both_surfaces(teams_bot):
    problems = {"reference": sample(Refusal.REFERENCE_SHAPE), "proposed_weekly": sample(Refusal.MONEY_NEGATIVE)}
    assert said_each(problems) == teams_bot.said_each(problems) == {
        "reference": "Use the case-system ID, like 1234567",
        "proposed_weekly": "The proposed weekly cost can't be negative: enter it in pounds, like 412.50",
    }
