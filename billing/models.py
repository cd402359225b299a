"""The usage ledger, budget days, reservations and provider rate-limit windows.

Every amount is an integer number of micro-dollars (`*_micros`, see j1msky/money.py): exact
arithmetic in SQL on SQLite and PostgreSQL alike. The Decimal properties are for reading.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from j1msky.money import from_micros

RATE = {"max_digits": 12, "decimal_places": 6}


class BudgetSetting(models.Model):
    """The daily budget set at run time (`PUT /billing/budget`). One row, pk 1.

    Absent until the budget is first changed; until then `settings.J1MSKY_DAILY_BUDGET` applies.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    daily_budget_micros = models.BigIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="billing_budgetsetting_singleton"),
            models.CheckConstraint(
                condition=Q(daily_budget_micros__gte=0), name="billing_budgetsetting_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"daily budget {self.daily_budget}"

    @property
    def daily_budget(self) -> Decimal:
        return from_micros(self.daily_budget_micros)


class _DayAmounts:
    """Spend and reservations of a budget day, as Decimals (the columns are micro-dollars)."""

    spent_micros: int
    reserved_micros: int

    @property
    def spent(self) -> Decimal:
        return from_micros(self.spent_micros)

    @property
    def reserved(self) -> Decimal:
        return from_micros(self.reserved_micros)


class BudgetDay(_DayAmounts, models.Model):
    """One budget day in J1MSKY_TIMEZONE: settled spend and open reservations against a limit.

    `limit_micros` is the daily budget last applied to the day (by an admission or a budget
    change). Moved only by conditional UPDATEs in billing/services.py.
    """

    day = models.DateField(primary_key=True)
    limit_micros = models.BigIntegerField()
    spent_micros = models.BigIntegerField(default=0)
    reserved_micros = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(spent_micros__gte=0, reserved_micros__gte=0),
                name="billing_budgetday_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.spent} spent, {self.reserved} reserved of {self.limit}"

    @property
    def limit(self) -> Decimal:
        return from_micros(self.limit_micros)


class KeyBudgetDay(_DayAmounts, models.Model):
    """An API key's budget day: the same counters, against the key's optional daily budget.

    Kept for every key that spends, so a budget set on a key mid-day counts the whole day.
    `limit_micros` is null while the key has no daily budget.
    """

    api_key = models.ForeignKey("security.ApiKey", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    limit_micros = models.BigIntegerField(null=True, blank=True)
    spent_micros = models.BigIntegerField(default=0)
    reserved_micros = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "day"], name="billing_keybudgetday_unique"),
            models.CheckConstraint(
                condition=Q(spent_micros__gte=0, reserved_micros__gte=0),
                name="billing_keybudgetday_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.day}: {self.spent} spent, {self.reserved} reserved"

    @property
    def limit(self) -> Decimal | None:
        return None if self.limit_micros is None else from_micros(self.limit_micros)


class Reservation(models.Model):
    """Worst-case cost held against a budget day until the run settles or releases it.

    The holder renews `lease_expires_at` while it works; the reaper releases a reservation whose
    lease ran out (its holder died). State moves open → settled | released by compare-and-set.
    `charged_micros` sums the ledger rows recorded against the reservation while it was open.
    """

    class State(models.TextChoices):
        OPEN = "open"
        SETTLED = "settled"
        RELEASED = "released"

    day = models.DateField(help_text="The budget day the reservation counts against.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "security.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount_micros = models.BigIntegerField(help_text="Reserved (worst case).")
    charged_micros = models.BigIntegerField(default=0)
    actual_micros = models.BigIntegerField(null=True, blank=True)
    provider_slots = models.JSONField(default=dict, blank=True)
    holder = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    close_reason = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(state="open"),
                name="billing_reservation_open_lease",
            ),
            models.Index(fields=["day", "state"], name="billing_reservation_day_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_micros__gte=0, charged_micros__gte=0),
                name="billing_reservation_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"reservation {self.pk} {self.state} {self.amount}"

    @property
    def amount(self) -> Decimal:
        return from_micros(self.amount_micros)

    @property
    def charged(self) -> Decimal:
        return from_micros(self.charged_micros)

    @property
    def actual(self) -> Decimal | None:
        return None if self.actual_micros is None else from_micros(self.actual_micros)

    @property
    def refund(self) -> Decimal:
        """What went back to the budget: reserved − actual, never negative (semantics §7.3)."""
        if self.actual_micros is None:
            return from_micros(0)
        return from_micros(max(self.amount_micros - self.actual_micros, 0))

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class LedgerEntry(models.Model):
    """One provider call: the durable record of spend. Nothing else is the source of spend.

    The rates used are stored on the row, so a later change of the rate card never rewrites it.
    `day` is the budget day the cost counts against (the reservation's day, else the call's).
    """

    created_at = models.DateTimeField(default=timezone.now)
    day = models.DateField()
    agent_id = models.CharField(
        max_length=40, null=True, blank=True, db_index=True, help_text="The agent run it served."
    )
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "security.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    model = models.CharField(max_length=40, help_text="Model alias, e.g. k2p5.")
    provider = models.CharField(max_length=40, help_text="Provider id, e.g. kimi-coding.")
    input_tokens = models.PositiveIntegerField()
    output_tokens = models.PositiveIntegerField()
    input_rate = models.DecimalField(**RATE, help_text="USD per 1K input tokens, as charged")
    output_rate = models.DecimalField(**RATE, help_text="USD per 1K output tokens, as charged")
    cost_micros = models.BigIntegerField()
    simulated = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["day", "model"], name="billing_ledger_day_model"),
            models.Index(fields=["created_at"], name="billing_ledger_created"),
            models.Index(fields=["owner", "created_at"], name="billing_ledger_owner_created"),
            # A key's spend over the trailing hour (the cost-spike protection).
            models.Index(fields=["api_key", "created_at"], name="billing_ledger_key_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_micros__gte=0), name="billing_ledger_cost_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.model} {self.cost}"

    @property
    def cost(self) -> Decimal:
        return from_micros(self.cost_micros)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class LedgerModelDay(models.Model):
    """One model's ledger totals on one budget day: the rollup the status, forecast and metrics
    read instead of scanning the ledger.

    Written only by `billing.services.ledger_record`, in the transaction of the ledger row it
    adds (one `INSERT … ON CONFLICT DO UPDATE`), so it always equals the ledger grouped by
    (`day`, `model`). `first_at` is the moment of the model's first call that day.
    """

    day = models.DateField()
    model = models.CharField(max_length=40, help_text="Model alias, e.g. k2p5.")
    calls = models.PositiveIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cost_micros = models.BigIntegerField(default=0)
    first_at = models.DateTimeField()

    class Meta:
        verbose_name = "ledger day per model"
        verbose_name_plural = "ledger days per model"
        constraints = [
            models.UniqueConstraint(fields=["day", "model"], name="billing_ledgermodelday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.model}: {self.calls} calls, {self.cost}"

    @property
    def cost(self) -> Decimal:
        return from_micros(self.cost_micros)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class ProviderWindow(models.Model):
    """Calls to one provider in one UTC clock hour, against its hourly limit (the limit in
    force at the last take, as the caller gave it)."""

    provider = models.CharField(max_length=40, help_text="Provider id, e.g. kimi-coding.")
    window_start = models.DateTimeField()
    hourly_limit = models.PositiveIntegerField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "window_start"], name="billing_providerwindow_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}@{self.window_start:%Y-%m-%d %H:00}Z {self.used}/{self.limit}"

    @property
    def limit(self) -> int:
        return self.hourly_limit

    @property
    def remaining(self) -> int:
        return max(self.hourly_limit - self.used, 0)
