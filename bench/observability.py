"""What the request id, access line and request metrics cost per request, timed in-process.

`python -m bench.observability` times the observability middleware around a view that does
nothing, against the bare view, with the access line written as JSON to /dev/null; once with
metrics in this process's memory and once in multiprocess mode (files, as under gunicorn).
The difference is what every request pays, the kiosk poll included.
"""

import logging
import os
import subprocess
import sys
import tempfile
import time

ROUNDS = int(os.environ.get("OBSERVABILITY_ROUNDS", "20000"))


def measure() -> tuple[float, float, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory

    from merchants.observability.logs import JsonFormatter, RequestIdFilter
    from merchants.observability.middleware import RequestObservabilityMiddleware

    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - for the whole run
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    access = logging.getLogger("pos.access")
    access.handlers, access.propagate = [handler], False
    access.setLevel(logging.INFO)

    def view(request):
        return HttpResponse(b"{}", content_type="application/json")

    middleware = RequestObservabilityMiddleware(view)
    request = RequestFactory().get("/api/v1/photobox/transactions/external/TRX-1/")

    def per_call(function) -> float:
        for _ in range(1000):
            function(request)
        started = time.perf_counter()
        for _ in range(ROUNDS):
            function(request)
        return (time.perf_counter() - started) / ROUNDS * 1e6

    bare = min(per_call(view) for _ in range(3))
    observed = min(per_call(middleware) for _ in range(3))
    access.setLevel(logging.WARNING)  # LOG_LEVEL=WARNING: no access line
    quiet = min(per_call(middleware) for _ in range(3))
    return bare, observed, quiet


def main() -> None:
    if os.environ.get("OBSERVABILITY_CHILD"):
        print(" ".join(f"{value:.1f}" for value in measure()))
        return
    for mode in ("in memory", "multiprocess"):
        env = {**os.environ, "OBSERVABILITY_CHILD": "1"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if mode == "multiprocess":
            env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pos-metrics-bench-")
        output = subprocess.run(
            [sys.executable, "-m", "bench.observability"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        bare, observed, quiet = (float(value) for value in output[-3:])
        print(
            f"metrics {mode}: bare view {bare:.1f} µs; + request id, metrics and access line "
            f"+{observed - bare:.1f} µs; without the access line +{quiet - bare:.1f} µs"
        )


if __name__ == "__main__":
    main()
