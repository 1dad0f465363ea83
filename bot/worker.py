"""The worker process: an APScheduler ticker. The database says what is due.

APScheduler 3.x is used only as a clock that calls `tick` every minute. Its job store is in memory
(it cannot be shared between processes), and nothing of ours is pickled into it. A tick missed
while the worker was down is not lost: the next tick finds the same rows still due, because due
work is claimed from the database with a conditional update, never remembered by the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.services import Services
from bot.services.booking import post_agendas
from bot.services.outbox import worker_job as deliver_outbox
from bot.services.panel import carry_forward, post_panel_agenda
from bot.services.reminders import hand_over_in_cover, send_due_reminders
from bot.services.retention import pseudonymise_due_cases

logger = logging.getLogger("panelbot.worker")

# Each job takes (services, now) and returns how many items it handled. Later features add theirs.
Job = Callable[[Services, datetime], int]
# Order matters: jobs that queue messages run before the one that sends them.
JOBS: list[tuple[str, Job]] = [
    ("post_agendas", post_agendas),
    ("carry_forward", carry_forward),
    ("post_panel_agenda", post_panel_agenda),
    ("deliver_outbox", deliver_outbox),
    ("hand_over_in_cover", hand_over_in_cover),
    ("send_due_reminders", send_due_reminders),
]
JOBS.append(("pseudonymise_due_cases", pseudonymise_due_cases))  # retention: records past the policy's period


def tick(services: Services, now: datetime | None = None) -> dict[str, int]:
    """Run every job once for `now`. One failing job is logged and does not stop the others."""
    now = now or services.now()
    done: dict[str, int] = {}
    for name, job in JOBS:
        try:
            done[name] = job(services, now)
        except Exception:
            logger.exception("job %s failed; it runs again next tick", name)
            done[name] = -1
    logger.info("tick %s %s", now.isoformat(timespec="seconds"), done or "(no jobs)")
    return done


def run_worker(services: Services, interval_seconds: int = 60) -> None:
    """Tick now and then every `interval_seconds` until interrupted."""
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=interval_seconds, timezone="UTC"),
        args=[services],
        id="tick",
        next_run_time=services.now(),
        coalesce=True,  # after a pause, one catch-up tick, not one per missed minute
        max_instances=1,  # a slow tick is never overlapped by the next
        misfire_grace_time=None,  # run late rather than silently skip (the default skips after 1 s)
    )
    logger.info("worker started: ticking every %d s", interval_seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        logger.info("worker stopped")
