"""`python -m bench.profile`: where one request's time goes, in-process, on the bench database.

For each endpoint of the bench (or the ones named): the median wall time of one request over
BENCH_INPROCESS calls (30) through Django's test client, its SQL statements and the time the
database took for them. Options:

    --sql        every statement of one request with its time
    --explain    EXPLAIN ANALYZE of each plain SELECT of that request (PostgreSQL)
    --profile    a profile of the timed requests: pyinstrument's call tree when it is installed
                 (`.venv/bin/pip install pyinstrument`), else cProfile's 40 costliest functions

Each endpoint is called at the larger of its two bench sizes (100 rows, 50 admin rows, an order of
10 lines, the poll with its key remembered). The database is the bench's own
(`BENCH_DATABASE_URL`, default `pos_bench`), loaded by `make bench` and reused as it is; when it
holds no data set yet, one is loaded first.

    .venv/bin/python -m bench.profile
    .venv/bin/python -m bench.profile products --sql
    .venv/bin/python -m bench.profile admin_orders --explain
    .venv/bin/python -m bench.profile order_create --profile
    .venv/bin/python -m bench.profile poll baseline --profile
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("BENCH_REUSE_DB", "1")
    common.configure()
    from bench import bench

    keys = [e.key for e in bench.ENDPOINTS]
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("endpoints", nargs="*", help=f"any of {', '.join(keys)} (default: all)")
    parser.add_argument("--sql", action="store_true", help="list each statement")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each SELECT")
    parser.add_argument("--profile", action="store_true", help="profile the timed requests")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.endpoints) - set(keys))
    if unknown:
        parser.error(f"unknown endpoint {', '.join(unknown)}; choose from {', '.join(keys)}")

    out = sys.stdout
    fixture = bench.ready(out)
    for endpoint in bench.ENDPOINTS:
        if args.endpoints and endpoint.key not in args.endpoints:
            continue
        size, call = endpoint.sizes(fixture)[-1]
        statements = bench.capture_queries(call)
        sql_ms = sum(float(q["time"]) for q in statements) * 1000
        median = bench.median_ms(call)
        out.write(
            f"\n{endpoint.key} ({size}): median {median:.1f} ms per request, "
            f"{len(statements)} queries taking {sql_ms:.1f} ms\n"
        )
        if args.sql:
            for statement in statements:
                out.write(f"  {float(statement['time']) * 1000:6.1f} ms  {statement['sql']}\n")
        if args.explain:
            explain(statements, out)
        if args.profile:
            profile(call, out)


def explain(statements: list[dict], out) -> None:
    from django.db import connection

    for statement in statements:
        sql = statement["sql"]
        # Only reads: EXPLAIN ANALYZE runs the statement, and FOR UPDATE would take locks.
        if not sql.startswith("SELECT") or "FOR UPDATE" in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
        out.write(f"\n  {sql[:300]}{' …' if len(sql) > 300 else ''}\n{plan}\n")


def profile(call, out) -> None:
    from bench.bench import IN_PROCESS_CALLS

    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(IN_PROCESS_CALLS):
            call()
        profiler.stop()
        out.write(profiler.output_text(unicode=True))
        return
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(IN_PROCESS_CALLS):
        call()
    profiler.disable()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
