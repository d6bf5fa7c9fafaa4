"""Two beats never both send (config/beat.py): the lease on a real Redis, then two real
``celery beat`` processes, one sending and one standing by until the first is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_client

from config.beat import BeatLock
from tests.celery_harness import ROOT, wait_for
from tests.factories import free_port

pytestmark = pytest.mark.integration

SENT = "Scheduler: Sending due task"


def test_one_holder_at_a_time_and_handover(redis):
    key = f"test:beat:{uuid.uuid4().hex}"
    first, second = BeatLock(redis.url, key, 1.5), BeatLock(redis.url, key, 1.5)
    assert first.hold() and first.hold()  # taken, then renewed
    assert not second.hold()
    assert second.owner() == first.holder
    first.release()  # a beat shutting down hands over at once
    assert second.hold() and not first.hold()
    time.sleep(1.8)  # the holder stops renewing (killed): its lease runs out
    assert first.hold() and not second.hold()


def test_no_redis_means_no_lead_and_no_crash():
    lock = BeatLock(f"redis://127.0.0.1:{free_port()}/0", "test:beat:down", 3)
    assert lock.hold() is False
    lock.release()


@pytest.mark.parametrize("url", ["", "amqp://guest@localhost//", "memory://"])
def test_a_broker_without_redis_is_refused_at_start(url):
    with pytest.raises(ValueError, match="BALLAST_BEAT_LOCK_URL"):
        BeatLock(url, "k", 3)


class Beat:
    def __init__(self, name: str, env: dict[str, str], tmp_path: Path) -> None:
        self.log = tmp_path / f"{name}.log"
        args = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO"]
        args += ["-s", str(tmp_path / f"{name}.schedule")]
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text()

    def sent(self) -> int:
        return self.text().count(SENT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def test_two_beat_processes_send_each_schedule_once(redis, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": redis.url,
        "BALLAST_BEAT_LOCK_KEY": f"test:beat:{uuid.uuid4().hex}",
        "BALLAST_BEAT_LOCK_TTL_S": "3",
        # The webhook sweep every half second: plenty of sends to count.
        "BALLAST_WEBHOOKS_SWEEP_SECONDS": "0.5",
    }
    first = Beat("first", env, tmp_path)
    beats = [first]
    try:
        wait_for(lambda: first.sent() >= 2, 60, "the first beat to send")
        second = Beat("second", env, tmp_path)
        beats.append(second)
        wait_for(lambda: "standing by" in second.text(), 60, "the second beat to stand by")
        before = first.sent()
        time.sleep(4)  # longer than a lease: the first keeps renewing it
        assert first.sent() >= before + 4
        assert second.sent() == 0, second.text()[-2000:]
        broker = redis_client.Redis.from_url(redis.url)
        assert broker.llen("default") == first.sent()  # every send is the first's

        first.kill()  # no release: the second takes over when the lease runs out
        killed_at = time.monotonic()
        wait_for(lambda: second.sent() >= 1, 30, "the second beat to take over")
        assert time.monotonic() - killed_at < 3 + 1 + 5  # lease, renewal check, slack
        assert "holding" in second.text()
    finally:
        for beat in beats:
            beat.kill()
