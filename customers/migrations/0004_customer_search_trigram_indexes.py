"""Trigram indexes on customer email, name and phone, for searching customers by any part.

Staff find a customer by typing part of an email, a name or a phone number (`?search=` in the
customers API, the admin's search box, and the order search, which looks up the matching
customers first: orders.selectors.order_search). Each is `UPPER(column) LIKE UPPER('%…%')`,
which no B-tree can answer, and the search ORs the three columns, so one column without an
index means the merchant's every customer is read. EXPLAIN ANALYZE on 50,000 customers of one
shop (105,000 in all): the search's count read all 50,000 of the shop's rows to test them, about
29 ms whatever the term; with these indexes a BitmapOr of the three, 0.12 ms for '4711' (15
customers), 0.25 ms for 'c4711.k' (1), 14 ms for 'budi' (10,006). The order search's lookup of
matching customers for '4711': 21.8 -> 0.05 ms. Terms of one or two characters have no trigram
and are still answered by reading the shop's customers.

PostgreSQL only (pg_trgm ships with it; `CREATE EXTENSION` needs the owner of the database).
The expressions are the ones Django's `icontains` compiles to, so the planner matches them. On
SQLite there is nothing to do.
"""

from django.db import migrations

TABLE = "customers_customer"
INDEXES = {
    "customer_email_trgm": "email",
    "customer_name_trgm": "name",
    "customer_phone_trgm": "phone",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON "{TABLE}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_merchant_email_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
