"""`panelbot demo` shows a subject access export, the audit chain verified, retention, and a changed
audit row caught by `audit verify`."""

import io
import re

from handlers.slack.demo import run_demo


def test_the_demo_shows_an_export_retention_and_a_changed_audit_row_caught():
    out = io.StringIO()
    run_demo(out)
    text = out.getvalue()
    assert "$ panelbot export 2345678 --by U0DPO" in text
    assert "  Decisions: 1" in text
    verified = re.findall(r"audit chain verified: (\d+) rows", text)
    assert len(verified) == 2 and int(verified[1]) > int(verified[0])  # retention appended, still whole
    assert re.search(r"\d+ people's records pseudonymised .*; \d+ Slack messages deleted", text)
    assert re.search(r"audit chain broken: row \d+ does not match its hash", text)
