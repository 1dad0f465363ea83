"""`/panel report [period]`: the headline figures in a modal, and the chart uploaded to the person's
DM with panelbot (Slack's file upload API: files.getUploadURLExternal + files.completeUploadExternal)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.report import PeriodError, parse_period
from bot.refusals import Refusal
from bot.services import Services
from bot.services.report import ReportRefused, may_report, report_for
from handlers.slack.replies import AfterAck
from messages.slack.format import said
from messages.slack.help import notice_view
from messages.slack.ids import Subcommand
from messages.slack.report import chart_description, render_chart, report_modal

logger = logging.getLogger("panelbot.report")


def report(ack: Ack, rest: str, command: dict[str, Any], client: WebClient, respond: Respond,
           services: Services, later: AfterAck, **_: Any) -> None:
    user = command["user_id"]
    try:
        start, end = parse_period(rest[:40], services.calendar.local_date(services.now()))
        if not may_report(services, user):
            raise ReportRefused(Refusal.REPORTS_NOT_YOURS)
    except (PeriodError, ReportRefused) as refused:
        ack({"response_type": "ephemeral", "text": said(refused)})
        return
    ack()
    trigger = command["trigger_id"]

    def build_and_send() -> None:
        # Off the request thread. The trigger lives 3 s and a large report takes about one: open the
        # modal first, then fill it in.
        opened = client.views_open(trigger_id=trigger, view=notice_view("Report", "Working out the figures…"))
        figures = report_for(services, user, start, end)
        names = {key: body.name for key, body in services.policy.bodies.items()}
        client.views_update(view_id=opened["view"]["id"],
                            view=report_modal(figures, names, services.policy.spot_checks.target_working_days))
        description = chart_description(figures)
        try:
            channel = client.conversations_open(users=user)["channel"]["id"]
            client.files_upload_v2(channel=channel, content=render_chart(figures), title="Spend and turnaround",
                                   filename=f"panelbot-report-{start.isoformat()}-{end.isoformat()}.png",
                                   alt_txt=description[:1000], initial_comment=description)
        except (SlackApiError, SlackClientError, OSError) as exc:
            logger.warning("could not upload the report chart (%s)", type(exc).__name__)
            respond(text="The figures are in the report; the chart could not be sent to you just now. Try again "
                         "later.", response_type="ephemeral", replace_original=False)

    later.slack("report", build_and_send)


SUBCOMMANDS = {Subcommand.REPORT.value: report}
