"""One worker process for the chaos test (`tests/test_chaos.py`): the real services, notifier and
`bot.worker.tick`, ticking without pause, on a clock that runs SPEED times faster than real time
from a moment the test gives, so backoffs and leases of minutes pass in seconds.

    python -m tests.chaos_worker DATABASE_URL SLACK_API_URL REAL_START SIMULATED_START [loop]

With `loop`, the worker also runs `bot.deliveries.DeliveryLoop` (PANELBOT_DELIVERY=worker): it sends
every case's due messages on its pools, woken by the commits (PostgreSQL) or looking every 0.2 s,
while the ticks send too.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from bot.deliveries import DeliveryLoop
from bot.runtime import build_services
from bot.settings import load_settings
from bot.worker import tick
from tests.conftest import BOT_TOKEN

SPEED = 240.0  # four simulated minutes a real second
LEASE = timedelta(minutes=8)  # two real seconds: several slow posts; renewed before each DM


def main(argv: list[str]) -> int:
    database_url, api_url, real_start, simulated_start = argv[1], argv[2], float(argv[3]), float(argv[4])
    settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret="unused-" * 4,
                             slack_api_url=api_url, database_url=database_url)
    services = build_services(settings)
    services.clock = lambda: datetime.fromtimestamp(simulated_start + (time.time() - real_start) * SPEED, UTC)
    services.claim_timeout = LEASE
    if argv[5:] == ["loop"]:
        DeliveryLoop(services, look_every=0.2).start()
    while True:
        tick(services)
        time.sleep(0.02)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
