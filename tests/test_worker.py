"""The worker's ticker runs every job for the pinned time; one failing job does not stop the rest."""

import pytest

from bot import worker
from tests.conftest import PINNED_NOW


@pytest.fixture
def jobs(monkeypatch):
    table: list = []
    monkeypatch.setattr(worker, "JOBS", table)
    return table


def test_a_tick_runs_every_job_with_the_time_it_was_given(services, jobs):
    seen = []
    jobs.append(("remind", lambda svc, now: seen.append(now) or 3))
    assert worker.tick(services, PINNED_NOW) == {"remind": 3}
    assert seen == [PINNED_NOW]


def test_a_failing_job_is_logged_and_the_next_job_still_runs(services, jobs, caplog):
    def broken(svc, now):
        raise RuntimeError("database hiccup")

    jobs.extend([("broken", broken), ("after", lambda svc, now: 1)])
    assert worker.tick(services, PINNED_NOW) == {"broken": -1, "after": 1}
    assert "job broken failed" in caplog.text


def test_a_tick_without_a_time_uses_the_services_clock(services, jobs):
    seen = []
    jobs.append(("remind", lambda svc, now: seen.append(now) or 0))
    worker.tick(services)
    assert seen == [PINNED_NOW]
