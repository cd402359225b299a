"""The ledger's (budget day, model) rollup, filled from the rows already recorded; from here on
`ledger_record` adds each new row to it in the same transaction."""

from django.db import migrations, models
from django.db.models import Count, Min, Sum


def rollup_fill(apps, schema_editor):
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    LedgerModelDay = apps.get_model("billing", "LedgerModelDay")
    groups = (
        LedgerEntry.objects.order_by()
        .values("day", "model")
        .annotate(
            calls=Count("pk"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cost_micros=Sum("cost_micros"),
            first_at=Min("created_at"),
        )
    )
    LedgerModelDay.objects.bulk_create(
        (LedgerModelDay(**group) for group in groups.iterator()), batch_size=1000
    )


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0002_plain_ids'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerModelDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('model', models.CharField(help_text='Model alias, e.g. k2p5.', max_length=40)),
                ('calls', models.PositiveIntegerField(default=0)),
                ('input_tokens', models.BigIntegerField(default=0)),
                ('output_tokens', models.BigIntegerField(default=0)),
                ('cost_micros', models.BigIntegerField(default=0)),
                ('first_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'ledger day per model',
                'verbose_name_plural': 'ledger days per model',
                'constraints': [models.UniqueConstraint(fields=('day', 'model'), name='billing_ledgermodelday_unique')],
            },
        ),
        migrations.RunPython(rollup_fill, migrations.RunPython.noop),
    ]
