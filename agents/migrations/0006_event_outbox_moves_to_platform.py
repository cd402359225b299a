"""The event outbox belongs to the platform (j1msky.Event): every row moves there, ids and all,
before the agents app's table goes. An event keeps its agent as a plain id."""

from django.core.management.color import no_style
from django.db import migrations

BATCH = 2000


def copy_events(apps, schema_editor):
    Old = apps.get_model("agents", "Event")
    New = apps.get_model("j1msky", "Event")
    rows = Old.objects.order_by("id").values(
        "id", "type", "created_at", "owner_id", "agent_id", "data"
    )
    last = 0
    while True:
        batch = list(rows.filter(id__gt=last)[:BATCH])
        if not batch:
            break
        New.objects.bulk_create([New(**row) for row in batch])
        last = batch[-1]["id"]
    # Explicit ids were inserted: move the sequence past them (PostgreSQL; SQLite needs nothing).
    for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [New]):
        schema_editor.execute(sql)


def copy_back(apps, schema_editor):
    Old = apps.get_model("agents", "Event")
    New = apps.get_model("j1msky", "Event")
    rows = New.objects.order_by("id").values(
        "id", "type", "created_at", "owner_id", "agent_id", "data"
    )
    Old.objects.bulk_create([Old(**row) for row in rows])


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0005_claim_time_concurrency"),
        ("j1msky", "0003_event_outbox"),
    ]

    operations = [
        migrations.RunPython(copy_events, copy_back),
        migrations.DeleteModel(name="Event"),
    ]
