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
    host = bind.rsplit(":", 1)[0].strip("[]")
    if host not in LOOPBACK and os.environ.get("PROXY_HOPS", "0").strip() in ("", "0"):
        # Reachable from outside with no proxy in front: say so, once, where it is read.
        server.log.warning(  # type: ignore[attr-defined]
            "afterhours: serving %s with no reverse proxy (PROXY_HOPS=0): clients that send "
            "slowly can hold all %d threads of every process and /healthz stops answering; "
            "put a proxy that buffers requests (nginx) in front, as docs/deployment.md does",
            bind,
            threads,
        )


def post_worker_init(worker: object) -> None:
    """Threads read requests side by side; the app runs WEB_AT_ONCE of them at a time
    (app/web/request_gate.py says why)."""
    from app.web.request_gate import RequestGate

    worker.wsgi = RequestGate(worker.wsgi, int(os.environ.get("WEB_AT_ONCE", 1)))  # type: ignore[attr-defined]


bind = os.environ.get("BIND", "127.0.0.1:8000")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Webhooks are short and mostly Python: one process a core carries a burst of callers. Twice
# as many cost 12-21 % more CPU a request and served fewer on a 2-core box with PostgreSQL
# beside them (bench/wrk_storm.py, docs/benchmarks.md). Each process also runs several threads,
# so a client sending its request slowly (a flaky mobile network, or on purpose) holds one
# thread, not the whole process: 16 such clients leave /healthz answering
# (tests/integration/test_gunicorn.py). The app itself runs one request at a time per process
# (post_worker_init above), so threads cost little. A reverse proxy that buffers requests (nginx
# does by default) keeps slow clients away from gunicorn altogether; docs/deployment.md sets
# one up.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("WEB_THREADS", 16))
# A process takes no more connections than it has threads, so one busy with slow clients leaves
# new connections to the others instead of queueing them behind its own.
worker_connections = threads
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
# Behind a reverse proxy: trust its X-Forwarded-* only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The access log's default line holds the query string but never form bodies (phone numbers).
