"""gunicorn's settings for the product, used by the Dockerfile's command (and so compose).

Threaded workers (`gthread`): each worker process serves GUNICORN_THREADS requests at once, so
one slow request (an export, a gateway that answers late) holds one thread, not a whole
worker, and the other threads keep answering. Every value can be changed by its variable;
docs/operations.md explains each and how to size them.
"""

import os
import tempfile
from pathlib import Path

port = int(os.environ.get("PORT", 8000))
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{port}"  # noqa: S104 - in a container
worker_class = "gthread"
# Processes: about one per core (gunicorn's own WEB_CONCURRENCY variable).
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
# Requests each process serves at once; each thread keeps its own database connection.
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A worker whose main loop is silent this long is killed and replaced. With threads the loop
# keeps beating while requests run, so this catches a hung process, not a slow request (the
# proxy's read timeout and each call's own timeout bound those).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# On SIGTERM (a deploy, `docker stop`): stop accepting, finish in-flight requests for this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Seconds an idle keep-alive connection from the proxy stays open.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
# connections over them. On one shared socket, whichever worker accepts first keeps a
# kept-alive connection (from the proxy's pool) for good: measured, one worker served every
# request while the other sat idle, at half the throughput.
# Workers are not replaced after a number of requests (GUNICORN_MAX_REQUESTS, off by default): a
# worker's memory measured flat (docs/operations.md), and a worker being replaced stops
# accepting on its own socket while it finishes, so connections the kernel queues there in the
# meantime are reset. Set it (with GUNICORN_REUSE_PORT=false) if memory ever creeps.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 0))
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "true").lower() not in ("0", "false", "no")
# The product writes one JSON access line per request itself (with its request id).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Worker heartbeats in memory, not on the container's overlay file system.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 - gunicorn's own files, created with mkstemp
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY

# Metrics: every worker writes its counters to files in one folder, and /metrics sums them all
# (prometheus_client's multiprocess mode). Set here, before any worker starts, so all inherit it.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pos-metrics-")


def on_starting(server):
    """Counters start at zero with the server: files left by an earlier run go."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.db"):
        leftover.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
