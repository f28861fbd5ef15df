"""gunicorn settings for the web processes: `gunicorn -c deploy/gunicorn.conf.py`."""

import multiprocessing
import os

wsgi_app = "app:create_app()"


def on_starting(server: object) -> None:
    """Check the settings and call scripts in the master, before any worker starts: a bad setting
    stops gunicorn with one line (as the CLI says it) instead of crash-looping its workers while
    the master keeps the port and answers nothing."""
    from app import check_configuration

    problem = check_configuration()
    if problem:
        raise SystemExit(f"afterhours: {problem}")


bind = os.environ.get("BIND", "127.0.0.1:8000")
# Webhooks are short and mostly Python: processes, not threads, carry a burst of callers. Threads
# share one interpreter lock, so a thread holding the database's write lock waits its turn behind
# the others and every other process waits on it (docs/benchmarks.md measures 4x1 against 4x4).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("WEB_THREADS", 1))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
# Behind a reverse proxy: trust its X-Forwarded-* only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The access log's default line holds the query string but never form bodies (phone numbers).
