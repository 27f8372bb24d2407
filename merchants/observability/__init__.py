"""What an operator sees of a running instance: request ids, JSON logs, metrics, error reports.

- `context`: the request id of the work in progress (a request, or a task it queued);
- `logs`: the JSON log formatter and the filter that stamps every record with the request id;
- `middleware`: one access line and the request metrics per request, the `X-Request-ID` header;
- `metrics`: the Prometheus metrics and the `/metrics` view;
- `worker`: Celery signals (task metrics, the request id carried to tasks, the worker's exporter);
- `sentry`: optional error reports, without personal data.
"""
