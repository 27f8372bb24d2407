"""Beat's scheduler: django-celery-beat's, plus a heartbeat that proves beat is alive.

The heartbeat is written from the scheduler's own loop (it ticks at least every 5 s), so it
stops when beat stops or hangs, whether or not any worker runs the tasks it sends. `/health/`
and the beat container's healthcheck (`python -m config.healthcheck beat`) read it.
"""

import logging
import time

from django_celery_beat.schedulers import DatabaseScheduler

from merchants.health import beat_heartbeat_record

logger = logging.getLogger(__name__)

# A cache write every tick would be cheap too; this keeps Redis traffic flat.
HEARTBEAT_EVERY_SECONDS = 10


class HeartbeatScheduler(DatabaseScheduler):
    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= HEARTBEAT_EVERY_SECONDS:
            try:
                beat_heartbeat_record()
                self._last_heartbeat = now
            except Exception as error:  # the cache being down must not stop the schedule
                logger.warning("Beat could not write its heartbeat: %s", error)
        return super().tick(*args, **kwargs)
