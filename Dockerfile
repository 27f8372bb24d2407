# The product's image: web (gunicorn), worker, beat and the migrate job all run it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, exactly as locked (versions and hashes): this layer is rebuilt only when
# the lock changes. `make lock` refreshes requirements.lock from pyproject.toml's ranges.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
# Static files are collected at build time; nothing is reached, so no real settings are needed.
RUN DEBUG=false ALLOW_EMBEDDED_DEFAULTS=true SECRET_KEY=collectstatic-only \
    CUSTOMER_JWT_SECRET=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 10001 app && mkdir -p /app/media && chown app /app/media
USER app
EXPOSE 8000
# Exec form: gunicorn is PID 1, so `docker stop` (SIGTERM) reaches it and in-flight requests
# finish within the graceful timeout. Migrations run once, in the compose `migrate` job.
# Threads, timeouts and recycling: gunicorn.conf.py (docs/operations.md).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "config.wsgi:application"]
