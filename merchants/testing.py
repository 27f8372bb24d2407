"""Helpers for tests across apps (kept out of production code paths)."""

import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (row locks and truly concurrent transactions); set DATABASE_URL",
)


def run_concurrently(target: Callable[[int], object], count: int) -> list:
    """Run `target(i)` in `count` threads released at once; return results or raised errors.

    Each thread has its own database connection, so use it with `django_db(transaction=True)`.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as error:  # collected for the test to assert on
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
