"""Wake-ups on the real Redis: one waiting wake-up per job, however often the scheduler looks."""

from __future__ import annotations

from redis import Redis

from service.queue import WakeUps, picked_up
from tests.support.services import Backing


def test_a_job_waits_in_the_queue_once_until_a_worker_picks_it_up(clean: Backing) -> None:
    redis = Redis.from_url(clean.redis_url)
    wakeups = WakeUps(redis, queue_name="ftjobs", job_timeout=60, waiting_ttl=60)
    for _ in range(3):
        wakeups.advance_job("job_a")
    wakeups.poll_jobs(["job_a", "job_b", "job_c"])
    assert wakeups.depth() == 2  # job_a once; one poll batch for b and c only
    picked_up(redis, ["job_a"])
    wakeups.advance_job("job_a")
    wakeups.poll_jobs(["job_b"])
    assert wakeups.depth() == 3


def test_markers_expire_so_a_lost_wake_up_is_sent_again(clean: Backing) -> None:
    redis = Redis.from_url(clean.redis_url)
    wakeups = WakeUps(redis, queue_name="ftjobs", job_timeout=60, waiting_ttl=60)
    wakeups.advance_job("job_x")
    ttl = redis.ttl("ftjobs:wake:job_x")
    assert 0 < int(ttl) <= 60
