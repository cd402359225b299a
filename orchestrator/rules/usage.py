"""Ledger usage per model: the usage summary, the model mix and the anomalies (semantics §8.1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .budget import PRESSURE_LEVELS, AlertLevel
from .numbers import ZERO, count, exact, round_cost, round_percent

TOP_MODELS = 5
MIX_PRIMARY = 3
HIGH_CALL_VOLUME = 100  # calls in the last hour, inclusive (ref)
HIGH_TOKENS_PER_CALL = Decimal(5000)  # 2-dp average over the last hour, inclusive (ref)


@dataclass(frozen=True)
class ModelCalls:
    """One model's ledger rows over a period: `calls`, `tokens` (input + output), `spend`
    (exact), and `first_seen`, the moment of its first row in the period (breaks ties)."""

    model: str
    calls: int
    tokens: int
    spend: Decimal
    first_seen: datetime

    def __post_init__(self) -> None:
        count(self.calls, "calls")
        count(self.tokens, "tokens")
        object.__setattr__(self, "spend", exact(self.spend, "spend"))

    @property
    def avg_tokens_per_call(self) -> Decimal:
        """tokens / calls at 2 dp (0.00 without calls)."""
        return round_percent(Decimal(self.tokens) / self.calls) if self.calls else ZERO


def models_by_calls(rows: Iterable[ModelCalls]) -> list[ModelCalls]:
    """Rows with at least one call, most calls first; ties: first seen, then the model name."""
    return sorted(
        (row for row in rows if row.calls > 0),
        key=lambda row: (-row.calls, row.first_seen, row.model),
    )


# --- usage_summary -------------------------------------------------------------------------------


def usage_summary(rows: Iterable[ModelCalls]) -> dict[str, Any]:
    """`usage_summary` over today's rows (§8.1): `{top_models, total_calls}`.

    `top_models` = the top 5 by calls, each `{model, calls, tokens, avg_tokens_per_call (2 dp),
    estimated_spend (4 dp)}`; `total_calls` = every call of the day, not only the top 5.
    """
    ranked = models_by_calls(rows)
    return {
        "top_models": [
            {
                "model": row.model,
                "calls": row.calls,
                "tokens": row.tokens,
                "avg_tokens_per_call": row.avg_tokens_per_call,
                "estimated_spend": round_cost(row.spend),
            }
            for row in ranked[:TOP_MODELS]
        ],
        "total_calls": sum(row.calls for row in ranked),
    }


# --- model_mix_recommendation --------------------------------------------------------------------

COST_OPTIMIZED_REASON = "Budget pressure detected"
BALANCED_DEFAULT_PRIMARY = ("k2p5", "sonnet")
BALANCED_SECONDARY = ("codex",)
BALANCED_REASON = "Normal operating range"


def model_mix_recommendation(level: AlertLevel, rows: Iterable[ModelCalls]) -> dict[str, Any]:
    """`model_mix_recommendation` (§8.1, ref): cost-optimized at level warning or critical;
    otherwise balanced, primary = the top 3 models by today's calls (k2p5, sonnet when there
    are none), secondary = codex unless it is primary, nothing restricted."""
    if AlertLevel(level) in PRESSURE_LEVELS:
        return {
            "strategy": "cost-optimized",
            "primary": ["k2p5", "minimax-m2.5"],
            "secondary": ["sonnet"],
            "restricted": ["opus"],
            "reason": COST_OPTIMIZED_REASON,
        }
    primary = [row.model for row in models_by_calls(rows)[:MIX_PRIMARY]]
    primary = primary or list(BALANCED_DEFAULT_PRIMARY)
    return {
        "strategy": "balanced",
        "primary": primary,
        "secondary": [model for model in BALANCED_SECONDARY if model not in primary],
        "restricted": [],
        "reason": BALANCED_REASON,
    }


# --- usage_anomalies -----------------------------------------------------------------------------


class AnomalyType(StrEnum):
    HIGH_CALL_VOLUME = "high_call_volume"
    HIGH_TOKENS_PER_CALL = "high_tokens_per_call"


class AnomalySeverity(StrEnum):
    NONE = "none"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Anomaly:
    """One item of `usage_anomalies.anomalies`:
    `{type, model, value, threshold, message}` where `value` is the model's calls in the last
    hour (`high_call_volume`, an int) or its average tokens per call (`high_tokens_per_call`, a
    2-dp Decimal), `threshold` the bound it reached, and `message` one ready-to-send line:
    `k2p5: 120 calls in the last hour (threshold 100)` or
    `opus: 5200.00 tokens per call in the last hour (threshold 5000)`."""

    type: AnomalyType
    model: str
    value: int | Decimal
    threshold: int | Decimal

    @property
    def message(self) -> str:
        unit = "calls" if self.type == AnomalyType.HIGH_CALL_VOLUME else "tokens per call"
        return f"{self.model}: {self.value} {unit} in the last hour (threshold {self.threshold})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": str(self.type),
            "model": self.model,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
        }


def anomalies_of(row: ModelCalls) -> list[Anomaly]:
    """A model's anomalies over the last hour: calls ≥ 100, average tokens per call ≥ 5000."""
    found = []
    if row.calls >= HIGH_CALL_VOLUME:
        found.append(Anomaly(AnomalyType.HIGH_CALL_VOLUME, row.model, row.calls, HIGH_CALL_VOLUME))
    if row.calls and row.avg_tokens_per_call >= HIGH_TOKENS_PER_CALL:
        found.append(
            Anomaly(
                AnomalyType.HIGH_TOKENS_PER_CALL,
                row.model,
                row.avg_tokens_per_call,
                int(HIGH_TOKENS_PER_CALL),
            )
        )
    return found


def anomaly_severity(anomaly_count: int) -> AnomalySeverity:
    """none for 0 anomalies, warning for 1, critical for 2 or more (§8.1)."""
    if anomaly_count >= 2:
        return AnomalySeverity.CRITICAL
    return AnomalySeverity.WARNING if anomaly_count == 1 else AnomalySeverity.NONE


def usage_anomalies(last_hour: Sequence[ModelCalls]) -> dict[str, Any]:
    """`usage_anomalies` over the last hour's rows per model (§8.1, ref thresholds):
    `{has_anomalies, anomalies, count, severity}`. Items come in model order (most calls first,
    ties: first seen), a model's call volume before its tokens per call; `count` counts items,
    so one model over both thresholds is already critical."""
    found = [anomaly for row in models_by_calls(last_hour) for anomaly in anomalies_of(row)]
    return {
        "has_anomalies": bool(found),
        "anomalies": [anomaly.as_dict() for anomaly in found],
        "count": len(found),
        "severity": str(anomaly_severity(len(found))),
    }
