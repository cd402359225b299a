"""The admin's quote calculator form: the fields of `POST /pricing/decision`, checked by the
API's own request serializer, so the admin accepts exactly what the API accepts."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from agents.selectors import model_alias_names
from j1msky.errors import DomainError
from pricing import engine
from pricing.api.serializers.requests import PricingDecisionRequestSerializer
from pricing.errors import engine_errors


def _choices(values) -> list[tuple[str, str]]:
    return [("", "(default)")] + [(v, v) for v in values]


QUOTE_FIELDS = [
    "model",
    "estimated_input",
    "estimated_output",
    "estimated_tokens",
    "complexity",
    "segment",
    "delivery_type",
]


class QuoteCalculatorForm(forms.Form):
    """The fields of `POST /pricing/decision`, checked by its serializer; blank ones take the
    quote defaults."""

    owner = forms.ModelChoiceField(queryset=get_user_model().objects.order_by("username"))
    model = forms.ChoiceField(choices=())
    estimated_input = forms.IntegerField(
        required=False, help_text=f"Default {engine.DEFAULT_INPUT_TOKENS}."
    )
    estimated_output = forms.IntegerField(
        required=False, help_text=f"Default {engine.DEFAULT_OUTPUT_TOKENS}."
    )
    estimated_tokens = forms.IntegerField(
        required=False,
        help_text="One token count priced at the blended rate, instead of input/output.",
    )
    complexity = forms.ChoiceField(required=False, choices=_choices(engine.COMPLEXITIES))
    segment = forms.ChoiceField(required=False, choices=_choices(engine.SEGMENTS))
    delivery_type = forms.ChoiceField(required=False, choices=_choices(engine.DELIVERY_TYPES))
    decide = forms.BooleanField(
        required=False,
        help_text="Also decide: approve if the margin guardrail passes, escalate otherwise.",
    )
    approver = forms.CharField(required=False, max_length=engine.MAX_APPROVER_LENGTH)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(alias, alias) for alias in model_alias_names()]

    def clean(self):
        cleaned = super().clean()
        given = {
            name: cleaned[name]
            for name in [*QUOTE_FIELDS, "approver"]
            if cleaned.get(name) not in (None, "")
        }
        serializer = PricingDecisionRequestSerializer(data=given)
        if not serializer.is_valid():
            for field, errors in serializer.errors.items():
                for error in errors if isinstance(errors, list) else [errors]:
                    self.add_error(field if field in self.fields else None, str(error))
            return cleaned
        try:
            with engine_errors():
                self.decision_request = serializer.input()
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return cleaned
