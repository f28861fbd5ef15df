"""gunicorn settings for the web processes: `gunicorn -c deploy/gunicorn.conf.py`."""

import multiprocessing
import os

wsgi_app = "app:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Webhooks are short and mostly wait on the database: a few threads per process keep a burst of
# callers answered within Twilio's 15 seconds.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("WEB_THREADS", 4))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
# Behind a reverse proxy: trust its X-Forwarded-* only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The access log's default line holds the query string but never form bodies (phone numbers).
