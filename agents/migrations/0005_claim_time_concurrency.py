"""Per-key concurrency counts running agents, and waiting ones separately (semantics §7.1)."""

from django.db import migrations, models
from django.db.models import Count, Q


def count_from_agents(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    KeyConcurrency = apps.get_model("agents", "KeyConcurrency")
    counts = (
        Agent.objects.filter(api_key__isnull=False, status__in=["spawning", "running"])
        .values("api_key_id")
        .annotate(
            waiting=Count("pk", filter=Q(status="spawning")),
            running=Count("pk", filter=Q(status="running")),
        )
    )
    KeyConcurrency.objects.update(waiting=0, running=0)
    for row in counts:
        KeyConcurrency.objects.update_or_create(
            api_key_id=row["api_key_id"],
            defaults={"waiting": row["waiting"], "running": row["running"]},
        )


def active_from_agents(apps, schema_editor):
    KeyConcurrency = apps.get_model("agents", "KeyConcurrency")
    for row in KeyConcurrency.objects.all():
        KeyConcurrency.objects.filter(pk=row.pk).update(active=row.waiting + row.running)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0004_run_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="keyconcurrency",
            name="waiting",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="keyconcurrency",
            name="running",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_from_agents, active_from_agents),
        migrations.RemoveField(model_name="keyconcurrency", name="active"),
        migrations.AlterField(
            model_name="keyconcurrency",
            name="api_key",
            field=models.OneToOneField(
                on_delete=models.deletion.CASCADE,
                primary_key=True,
                related_name="concurrency",
                serialize=False,
                to="security.apikey",
            ),
        ),
        migrations.AlterModelOptions(
            name="keyconcurrency",
            options={"verbose_name_plural": "key concurrency"},
        ),
        migrations.AddIndex(
            model_name="agent",
            index=models.Index(fields=["api_key", "status"], name="agents_agen_api_key_00c1bd_idx"),
        ),
    ]
