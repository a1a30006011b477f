"""``[core] hostname_callable`` for the scale-out test: each Celery worker process reports the
name it was started with, as two containers of a real deployment report their own hostnames
(two workers on one test machine would otherwise share one)."""
import os


def worker_name() -> str:
    return os.environ["BNW_WORKER_NAME"]
