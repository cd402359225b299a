"""Request bodies of the pricing API: each checks its values with typed fields and builds, in
`input()`, the frozen dataclass the service or the engine takes (the engine's defaults fill in
what the body left out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from j1msky.api.fields import Text
from pricing import engine
from pricing.api.serializers.fields import (
    ChoiceText,
    CountField,
    FlagField,
    JsonArrayField,
    LabelField,
    MarginField,
    ModelAliasField,
    NumberField,
    TokensField,
)

QUOTE_INPUT_FIELDS = (
    "model",
    "estimated_input",
    "estimated_output",
    "complexity",
    "segment",
    "estimated_tokens",
)
TOKENS_HELP = "Integer token estimate, 0-10,000,000."


class RequestSerializer(serializers.Serializer):
    # A request body, an item of one of its arrays or a table of one of its objects (comments,
    # not a docstring: the schema would show it for every body). `where` places an array item
    # in messages (" in scenario 2"), `name_prefix` a table's keys ("complexity_markup.high");
    # inside items blank text is a bad value, not an omitted one.

    where = ""
    name_prefix = ""
    blank_is_omitted = True
    null_is_omitted = True

    def input(self) -> Any:
        """What the view hands on (the checked values by default)."""
        return self.validated_data


def error_paths(detail: Any, path: str = "") -> dict[str, list]:
    """Nested serializer errors by path: `{"scenarios": {2: {"model": [...]}}}` becomes
    `{"scenarios[2].model": [...]}`; an item's own error stays on the item (`scenarios[1]`)."""
    if not isinstance(detail, Mapping):
        return {path or "non_field_errors": list(detail)}
    paths: dict[str, list] = {}
    for key, value in detail.items():
        if isinstance(key, int):
            where = f"{path}[{key}]"
        elif key == "non_field_errors" and path:
            where = path
        else:
            where = f"{path}.{key}" if path else str(key)
        paths.update(error_paths(value, where))
    return paths


def given(attrs: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: attrs[name] for name in names if name in attrs}


def quote_request(attrs: Mapping[str, Any]) -> engine.QuoteRequest:
    quote = engine.QuoteInput(**given(attrs, QUOTE_INPUT_FIELDS))
    return engine.QuoteRequest(quote, **given(attrs, ("delivery_type",)))


# --- quotes -----------------------------------------------------------------------------------


class QuoteFieldsSerializer(RequestSerializer):
    # The fields a quote is priced from (§10.2); omitted ones take the quote defaults.

    model = ModelAliasField(help_text="An enabled model alias: k2p5, sonnet, opus, …")
    estimated_input = TokensField(
        required=False, help_text=f"{TOKENS_HELP} Default {engine.DEFAULT_INPUT_TOKENS}."
    )
    estimated_output = TokensField(
        required=False, help_text=f"{TOKENS_HELP} Default {engine.DEFAULT_OUTPUT_TOKENS}."
    )
    estimated_tokens = TokensField(
        required=False,
        help_text="Single token count priced at the blended rate, instead of input/output.",
    )
    complexity = ChoiceText(
        engine.COMPLEXITIES, required=False, help_text=f"Default {engine.DEFAULT_COMPLEXITY}."
    )
    segment = ChoiceText(
        engine.SEGMENTS, required=False, help_text=f"Default {engine.DEFAULT_SEGMENT}."
    )

    def validate(self, attrs: dict[str, Any]) -> Any:
        if "estimated_tokens" in attrs and given(attrs, ("estimated_input", "estimated_output")):
            message = (
                f"Give estimated_tokens or estimated_input/estimated_output{self.where}, not both"
            )
            raise serializers.ValidationError({"estimated_tokens": [message]})
        return attrs


DELIVERY_TYPE_HELP = f"Guardrail threshold to apply. Default {engine.DEFAULT_DELIVERY_TYPE}."


class PricingQuoteRequestSerializer(QuoteFieldsSerializer):
    delivery_type = ChoiceText(engine.DELIVERY_TYPES, required=False, help_text=DELIVERY_TYPE_HELP)

    def input(self) -> engine.QuoteRequest:
        return quote_request(self.validated_data)


class PricingBatchQuotesRequestSerializer(PricingQuoteRequestSerializer):
    # Every segment is quoted, so there is no `segment`; nor a single-count form.

    estimated_tokens = None
    segment = None


@dataclass(frozen=True)
class DecisionRequest:
    """Decide on a new quote (`quote`) or on a stored one of the caller's (`quote_id`)."""

    quote: engine.QuoteRequest | None
    quote_id: str | None
    approver: str | None


APPROVER_HELP = (
    f"Decision owner label, at most {engine.MAX_APPROVER_LENGTH} characters. "
    f"Default {engine.DEFAULT_APPROVER}."
)


class PricingDecisionRequestSerializer(PricingQuoteRequestSerializer):
    model = ModelAliasField(
        required=False, help_text="An enabled model alias; required unless quote_id is given."
    )
    approver = LabelField(
        max_length=engine.MAX_APPROVER_LENGTH,
        required=False,
        help_text=APPROVER_HELP,
    )
    quote_id = Text(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Decide on a stored quote of yours (no quote fields then).",
    )

    def validate(self, attrs: dict[str, Any]) -> Any:
        names = (*QUOTE_INPUT_FIELDS, "delivery_type")
        fields = sorted(given(attrs, names))
        if attrs.get("quote_id") and fields:
            message = f"Give quote_id or quote fields ({', '.join(fields)}), not both"
            raise serializers.ValidationError({"quote_id": [message]})
        if not attrs.get("quote_id") and "model" not in attrs:
            raise serializers.ValidationError({"model": ["model is required"]})
        return super().validate(attrs)

    def input(self) -> DecisionRequest:
        attrs = self.validated_data
        quote_id = attrs.get("quote_id") or None
        return DecisionRequest(
            quote=None if quote_id else quote_request(attrs),
            quote_id=quote_id,
            approver=attrs.get("approver"),
        )


# --- scenarios and rollups --------------------------------------------------------------------


class PricingScenarioSerializer(QuoteFieldsSerializer):
    """One scenario: the quote fields; an omitted or null field takes the quote default."""

    blank_is_omitted = False

    def validate(self, attrs: dict[str, Any]) -> engine.QuoteInput:
        return engine.QuoteInput(**given(super().validate(attrs), QUOTE_INPUT_FIELDS))


class PricingScenarioRequestSerializer(RequestSerializer):
    delivery_type = ChoiceText(
        engine.DELIVERY_TYPES,
        required=False,
        help_text=f"Default {engine.DEFAULT_DELIVERY_TYPE}.",
    )
    scenarios = JsonArrayField(
        child=PricingScenarioSerializer(),
        item="scenario",
        max_length=engine.MAX_SCENARIOS,
        help_text="1-100 scenario objects {model, estimated_input, estimated_output, complexity,"
        " segment} (or estimated_tokens instead of the pair); quote defaults apply.",
    )

    def input(self) -> engine.ScenarioRequest:
        attrs = self.validated_data
        return engine.ScenarioRequest(tuple(attrs["scenarios"]), **given(attrs, ("delivery_type",)))


class PricingPortfolioAlertRequestSerializer(RequestSerializer):
    scenario_count = CountField(required=False, help_text="Default 0.")
    compliant_count = CountField(required=False, help_text="At most scenario_count. Default 0.")
    average_margin_pct = MarginField(required=False, help_text="Default 0.")

    def input(self) -> engine.PortfolioCounts | None:
        """None when the body gives no field (then the stored evaluation counts)."""
        return engine.PortfolioCounts(**self.validated_data) if self.validated_data else None


class PricingDecisionOutcomeSerializer(RequestSerializer):
    """A decided quote: its status, margin (missing: 0) and whether it became an exception."""

    blank_is_omitted = False
    decision_status = ChoiceText(engine.DECISION_STATUSES)
    gross_margin_pct = MarginField(required=False, help_text="Missing: 0.")
    exception_created = FlagField(required=False)
    exception_closed = FlagField(required=False)

    def validate(self, attrs: dict[str, Any]) -> engine.DecisionOutcome:
        return engine.DecisionOutcome(**attrs)


class PricingWeeklyMetricsRequestSerializer(RequestSerializer):
    quotes = JsonArrayField(
        child=PricingDecisionOutcomeSerializer(),
        item="quote",
        required=False,
        help_text="Quote decision objects {decision_status, gross_margin_pct, exception_created?,"
        " exception_closed?}. Omitted: this ISO week's stored decisions.",
    )

    def input(self) -> tuple[engine.DecisionOutcome, ...] | None:
        """None when `quotes` is omitted (then the stored decisions count)."""
        quotes = self.validated_data.get("quotes")
        return None if quotes is None else tuple(quotes)


WEEKS = ("current", "prev")


class PricingWeeklyComparisonRequestSerializer(RequestSerializer):
    current_total_quotes = CountField(required=False)
    current_approval_rate = NumberField(min_value=0, max_value=1, required=False, help_text="0-1")
    current_avg_margin_pct = MarginField(required=False)
    current_exceptions_created = CountField(required=False)
    prev_total_quotes = CountField(required=False)
    prev_approval_rate = NumberField(min_value=0, max_value=1, required=False, help_text="0-1")
    prev_avg_margin_pct = MarginField(required=False)
    prev_exceptions_created = CountField(required=False)

    def input(self) -> tuple[engine.WeekTotals, engine.WeekTotals] | None:
        """`(current, previous)`; None when the body gives no field (then the stored weeks)."""
        attrs = self.validated_data
        if not attrs:
            return None
        current, previous = (
            engine.WeekTotals(
                **{
                    name.removeprefix(f"{week}_"): value
                    for name, value in attrs.items()
                    if name.startswith(f"{week}_")
                }
            )
            for week in WEEKS
        )
        return current, previous


class PricingVariantOutcomeSerializer(RequestSerializer):
    """A decided quote of one experiment variant."""

    blank_is_omitted = False
    variant = ChoiceText(engine.VARIANTS)
    decision_status = ChoiceText(engine.DECISION_STATUSES)
    gross_margin_pct = MarginField(required=False, help_text="Missing: 0.")

    def validate(self, attrs: dict[str, Any]) -> engine.VariantOutcome:
        return engine.VariantOutcome(**attrs)


class PricingExperimentSummaryRequestSerializer(RequestSerializer):
    quotes = JsonArrayField(
        child=PricingVariantOutcomeSerializer(),
        item="quote",
        help_text="Tracked experiment quotes {variant, decision_status, gross_margin_pct}.",
    )

    def input(self) -> tuple[engine.VariantOutcome, ...]:
        return tuple(self.validated_data["quotes"])


class PricingExceptionAlertRequestSerializer(RequestSerializer):
    open_exceptions = CountField(required=False)
    oldest_days = CountField(required=False)
    at_risk_count = CountField(
        required=False, help_text="Exceptions aged 14+ days; at most open_exceptions."
    )

    def input(self) -> engine.ExceptionCounts | None:
        """None when the body gives no field (then the stored open exceptions count)."""
        return engine.ExceptionCounts(**self.validated_data) if self.validated_data else None


# --- exceptions -------------------------------------------------------------------------------


class PricingExceptionCreateRequestSerializer(RequestSerializer):
    decision_id = Text(max_length=40, help_text="An escalated decision of yours.")
    approver = Text(
        required=False, allow_blank=True, max_length=100, help_text="Default deal-desk."
    )
    reason = Text(required=False, allow_blank=True, max_length=1000)


class PricingExceptionCloseRequestSerializer(RequestSerializer):
    closed_by = Text(required=False, allow_blank=True, max_length=100)
    resolution = Text(required=False, allow_blank=True, max_length=1000)
