"""`/metrics` counts agents by status and model: an index it can scan instead of the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0006_event_outbox_moves_to_platform"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="agent",
            index=models.Index(fields=["status", "model"], name="agents_agent_status_model"),
        ),
    ]
