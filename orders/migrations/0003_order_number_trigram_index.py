"""A trigram index on the order number, for searching orders by any part of it.

Cashiers and owners find an order by typing part of its number ("0042", "INV-20261110"). That
is `UPPER(number) LIKE UPPER('%…%')`, which no B-tree can answer: on a year of one shop's
orders (100,000) PostgreSQL read every row, about 30 ms for the number alone and 70 ms with the
customer's email and name, per query and several queries per search (count, page, dates).
EXPLAIN ANALYZE with this index: a Bitmap Index Scan on order_number_trgm, 2.5 ms for the count
of 'INV-20261110' (274 orders), the matching customers' orders taken by the customer index
(see orders.selectors.order_search).

PostgreSQL only (pg_trgm ships with it; `CREATE EXTENSION` needs the owner of the database).
The expression is the one Django's `icontains` compiles to, so the planner matches it. On
SQLite there is nothing to do.
"""

from django.db import migrations

INDEX = "order_number_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON "orders_order" '
        'USING gin ((UPPER("number"::text)) gin_trgm_ops)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_order_receipt_sent_at")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
