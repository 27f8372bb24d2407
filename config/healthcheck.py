"""Container healthchecks: `python -m config.healthcheck web|beat` exits 0 when healthy.

- web: this container's gunicorn answers `/health/` with 200 (asked for a host it serves, so
  any ALLOWED_HOSTS works; `/health/` is exempt from the HTTPS redirect);
- beat: beat's heartbeat (see merchants/beat.py) is at most BEAT_HEARTBEAT_MAX_AGE_SECONDS old.

The worker's check is Celery's own `celery -A config inspect ping` (docker-compose.yml).
web loads nothing of Django; beat loads it (django.setup()), because the heartbeat's reader
imports models through merchants.health.
"""

import os
import sys
import urllib.error
import urllib.request


def served_host(allowed_hosts: str) -> str:
    """A host name ALLOWED_HOSTS accepts: its first entry, made concrete."""
    first = allowed_hosts.split(",")[0].strip()
    if first in ("", "*"):
        return "localhost"
    return first.lstrip(".")


def web() -> bool:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health/",
        headers={"Host": served_host(os.environ.get("ALLOWED_HOSTS", ""))},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status == 200
    except (urllib.error.URLError, OSError) as error:
        print(f"web is unhealthy: {error}", file=sys.stderr)
        return False


def beat() -> bool:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    # merchants.health imports models: in a fresh interpreter the app registry must be loaded
    # first, or the import raises AppRegistryNotReady.
    django.setup()
    from merchants.health import beat_heartbeat_age

    age = beat_heartbeat_age()
    if age is None or age > settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS:
        print(f"beat is unhealthy: last heartbeat {age} s ago", file=sys.stderr)
        return False
    return True


CHECKS = {"web": web, "beat": beat}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(f"usage: python -m config.healthcheck {'|'.join(CHECKS)}", file=sys.stderr)
        return 2
    return 0 if CHECKS[argv[0]]() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
