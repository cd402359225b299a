"""Pricing records: policy versions, stored quotes, decisions, exceptions, scenario evaluations,
daily reports and exception-aging alerts (semantics §10).

Amounts are Decimal columns rounded the way the engine rounds them (costs 4 dp; prices, markups and
percentages 2 dp). JSON columns keep Decimals exact: they are written as JSON numbers and read
back as Decimal (`j1msky.json`; the migrations name them through this module).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from j1msky.json import DecimalJSONDecoder, DecimalJSONEncoder
from pricing import engine

MARKUP = {"max_digits": 8, "decimal_places": 2}
PERCENT = {"max_digits": 12, "decimal_places": 2}
PRICE = {"max_digits": 20, "decimal_places": 2}
COST = {"max_digits": 20, "decimal_places": 4}


def _public_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_quote_id() -> str:
    return _public_id("quote")


def new_decision_id() -> str:
    return _public_id("decision")


def new_exception_id() -> str:
    return _public_id("exception")


def new_evaluation_id() -> str:
    return _public_id("scenario")


class PricingPolicy(models.Model):
    """One version of the pricing policy (§10.1). Rows are never edited: a change is a new
    version (`pricing.services.pricing_policy_update`); the highest version is in force."""

    version = models.PositiveIntegerField(unique=True)
    markup_low = models.DecimalField(**MARKUP)
    markup_medium = models.DecimalField(**MARKUP)
    markup_high = models.DecimalField(**MARKUP)
    adjustment_enterprise = models.DecimalField(**MARKUP)
    adjustment_mid_market = models.DecimalField(**MARKUP)
    adjustment_smb = models.DecimalField(**MARKUP)
    adjustment_startup = models.DecimalField(**MARKUP)
    minimum_price = models.DecimalField(**PRICE)
    threshold_task = models.DecimalField(**MARKUP, help_text="Minimum margin %, task deals")
    threshold_subscription = models.DecimalField(**MARKUP)
    threshold_enterprise = models.DecimalField(**MARKUP)
    band_strong_pct = models.DecimalField(
        **MARKUP, help_text="Margin % from which a quote is strong"
    )
    band_healthy_pct = models.DecimalField(**MARKUP)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # policy table -> (engine key -> column)
    TABLES = {
        "complexity_markup": {
            "low": "markup_low",
            "medium": "markup_medium",
            "high": "markup_high",
        },
        "segment_adjustments": {
            "enterprise": "adjustment_enterprise",
            "mid_market": "adjustment_mid_market",
            "smb": "adjustment_smb",
            "startup": "adjustment_startup",
        },
        "margin_thresholds": {
            "task": "threshold_task",
            "subscription": "threshold_subscription",
            "enterprise": "threshold_enterprise",
        },
        "margin_bands": {"strong": "band_strong_pct", "healthy": "band_healthy_pct"},
    }

    class Meta:
        ordering = ["-version"]
        verbose_name = "pricing policy version"
        verbose_name_plural = "pricing policy versions"

    def __str__(self) -> str:
        return f"pricing policy v{self.version}"

    def values(self) -> dict[str, Any]:
        """The policy as nested tables (the `PUT /pricing/policy` shape, without version)."""
        result: dict[str, Any] = {
            table: {key: getattr(self, column) for key, column in columns.items()}
            for table, columns in self.TABLES.items()
        }
        result["minimum_price"] = self.minimum_price
        return result

    def to_engine(self) -> engine.Policy:
        values = self.values()
        return engine.Policy(
            complexity_markup=values["complexity_markup"],
            segment_adjustments=values["segment_adjustments"],
            minimum_price=self.minimum_price,
            margin_thresholds=values["margin_thresholds"],
            strong_band_pct=self.band_strong_pct,
            healthy_band_pct=self.band_healthy_pct,
        )


class Quote(models.Model):
    """A quote as it was given (`POST /pricing/quote`, or the quote of a decision)."""

    quote_id = models.CharField(max_length=40, unique=True, default=new_quote_id)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pricing_quotes"
    )
    policy = models.ForeignKey(PricingPolicy, on_delete=models.PROTECT, related_name="+")
    model = models.CharField(max_length=40)
    complexity = models.CharField(max_length=16)
    segment = models.CharField(max_length=16)
    delivery_type = models.CharField(max_length=16)
    estimated_input_tokens = models.PositiveIntegerField(null=True, blank=True)
    estimated_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    estimated_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Set for the single-count form only."
    )
    internal_cost = models.DecimalField(**COST)
    base_markup = models.DecimalField(**MARKUP)
    segment_adjustment = models.DecimalField(**MARKUP)
    final_markup = models.DecimalField(**MARKUP)
    recommended_price = models.DecimalField(**PRICE)
    gross_margin_pct = models.DecimalField(**PERCENT)
    margin_band = models.CharField(max_length=16)
    minimum_margin_pct = models.DecimalField(**MARKUP)
    is_compliant = models.BooleanField()
    action = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="pricing_quote_owner_created")
        ]

    def __str__(self) -> str:
        return self.quote_id

    def to_engine(self) -> engine.Quote:
        return engine.Quote(
            model=self.model,
            complexity=self.complexity,
            segment=self.segment,
            internal_cost=self.internal_cost,
            base_markup=self.base_markup,
            segment_adjustment=self.segment_adjustment,
            final_markup=self.final_markup,
            recommended_price=self.recommended_price,
            gross_margin_pct=self.gross_margin_pct,
            margin_band=self.margin_band,
            estimated_input_tokens=self.estimated_input_tokens,
            estimated_output_tokens=self.estimated_output_tokens,
            estimated_tokens=self.estimated_tokens,
        )

    def guardrail(self) -> engine.Guardrail:
        return engine.Guardrail(
            delivery_type=self.delivery_type,
            minimum_margin_pct=self.minimum_margin_pct,
            actual_margin_pct=self.gross_margin_pct,
            is_compliant=self.is_compliant,
            action=self.action,
        )


class Decision(models.Model):
    """An approve/escalate decision on one quote (§10.3)."""

    class Status(models.TextChoices):
        APPROVED = "approved"
        ESCALATED = "escalated"

    decision_id = models.CharField(max_length=40, unique=True, default=new_decision_id)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pricing_decisions"
    )
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="decision")
    decision_status = models.CharField(max_length=16, choices=Status.choices)
    approver = models.CharField(max_length=engine.MAX_APPROVER_LENGTH)
    delivery_type = models.CharField(max_length=16)
    next_step = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, help_text="generated_at")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="pricing_decision_owner_created"),
            models.Index(fields=["created_at"], name="pricing_decision_created"),
        ]

    def __str__(self) -> str:
        return self.decision_id

    def packet(self) -> dict[str, Any]:
        """The decision packet (`decision` in `POST /pricing/decision`, the status preview)."""
        return engine.decision_packet(
            decision_status=self.decision_status,
            approver=self.approver,
            delivery_type=self.delivery_type,
            next_step=self.next_step,
            generated_at=self.created_at,
        )


class PricingException(models.Model):
    """An escalated decision that deal desk approved anyway; open until closed (§10.6)."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    exception_id = models.CharField(max_length=40, unique=True, default=new_exception_id)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pricing_exceptions"
    )
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="exception")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    approver = models.CharField(max_length=100)
    reason = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, help_text="opened_at")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=100, blank=True)
    resolution = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="pricing_exc_owner_created"),
            models.Index(fields=["status", "created_at"], name="pricing_exc_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="pricing_exception_closed_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.exception_id

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def age_days(self, now: datetime) -> int:
        """Whole days open: until now while open, until it closed once closed."""
        return engine.exception_age_days(self.created_at, self.closed_at or now)


class ScenarioEvaluation(models.Model):
    """One `POST /pricing/scenario` evaluation; the latest feeds the portfolio previews."""

    evaluation_id = models.CharField(max_length=40, unique=True, default=new_evaluation_id)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pricing_evaluations"
    )
    policy = models.ForeignKey(PricingPolicy, on_delete=models.PROTECT, related_name="+")
    delivery_type = models.CharField(max_length=16)
    scenario_count = models.PositiveIntegerField()
    compliant_count = models.PositiveIntegerField()
    compliance_ratio = models.DecimalField(**MARKUP)
    needs_escalation = models.BooleanField()
    requires_executive_review = models.BooleanField()
    average_margin_pct = models.DecimalField(**PERCENT)
    results = models.JSONField(
        encoder=DecimalJSONEncoder,
        decoder=DecimalJSONDecoder,
        help_text="[{quote, guardrail_check}] per scenario, in order (the quotes hold the input).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="pricing_eval_owner_created"),
            models.Index(fields=["created_at"], name="pricing_eval_created"),
        ]

    def __str__(self) -> str:
        return self.evaluation_id

    def summary(self) -> dict[str, Any]:
        """The rollup without results (the orchestrator's `quote_portfolio_preview`)."""
        return {
            "delivery_type": self.delivery_type,
            "scenario_count": self.scenario_count,
            "compliant_count": self.compliant_count,
            "compliance_ratio": self.compliance_ratio,
            "needs_escalation": self.needs_escalation,
            "requires_executive_review": self.requires_executive_review,
            "average_margin_pct": self.average_margin_pct,
        }

    def counts(self) -> engine.PortfolioCounts:
        return engine.PortfolioCounts(
            self.scenario_count, self.compliant_count, self.average_margin_pct
        )

    def alert(self) -> dict[str, Any]:
        """The portfolio alert for this evaluation (`portfolio_alert_preview`)."""
        return engine.portfolio_alert(self.counts())


class PricingReport(models.Model):
    """The daily pricing report of one day in J1MSKY_TIMEZONE, stored by beat."""

    day = models.DateField(unique=True)
    generated_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, help_text="health.status")
    daily_cost = models.DecimalField(**COST)
    data = models.JSONField(encoder=DecimalJSONEncoder, decoder=DecimalJSONDecoder)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"pricing report {self.day}"


class ExceptionAgingAlert(models.Model):
    """The daily exception-aging check for one owner with open exceptions (§10.6, §14)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    open_exceptions = models.PositiveIntegerField()
    oldest_days = models.PositiveIntegerField()
    at_risk_count = models.PositiveIntegerField()
    requires_exec_followup = models.BooleanField()
    level = models.CharField(max_length=16)
    summary = models.CharField(max_length=200)
    recommended_action = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "owner_id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="pricing_aging_alert_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.owner_id}: {self.level}"
