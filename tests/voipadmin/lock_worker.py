"""A separate process taking the project lock in a loop: ``python -m tests.voipadmin.lock_worker KEY N LOG``.

Each time it holds the lock it appends ``+pid`` then ``-pid`` to LOG (with a short sleep between), so a log with
two ``+`` in a row shows two holders at once. Settings come from the environment (DATABASE_URL, REDIS_URL).
"""

from __future__ import annotations

import os
import sys
import time

import django


def main(key: str, rounds: int, log_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voipadmin.settings")
    django.setup()
    from voipadmin.core import locks

    held = 0
    deadline = time.monotonic() + 60
    while held < rounds and time.monotonic() < deadline:
        token = locks.acquire(key, 5)
        if token is None:
            time.sleep(0.001)
            continue
        with open(log_path, "a") as log:
            log.write(f"+{os.getpid()}\n")
            log.flush()
            time.sleep(0.002)
            log.write(f"-{os.getpid()}\n")
            log.flush()
        assert locks.release(key, token)
        held += 1
    print(held)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
