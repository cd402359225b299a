"""Table-driven tests of ``orchestrator.rules`` (semantics §8, §11, §14). Plain pytest, no Django.

Every threshold edge of the issue is a row here: alert level 49.99/50/69.99/70/89.99/90 %, hot
provider 79.99/80 %, anomalies 99/100 calls and 4999/5000 tokens per call, each recommendation
path, the budget downgrade and the no-model-fits case, the budget events at 80/95 %, and the
forecast at the month's edges.
"""

import ast
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrator import rules as r

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
T0 = datetime(2026, 2, 19, 18, 0, tzinfo=UTC)
DAY = 86_400


# --- Purity --------------------------------------------------------------------------------------


def test_rules_import_without_django():
    code = "import sys; import orchestrator.rules; assert 'django' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_rules_import_only_the_standard_library():
    allowed = {"__future__", "collections", "dataclasses", "datetime", "decimal", "enum", "typing"}
    files = sorted((ROOT / "orchestrator" / "rules").glob("*.py"))
    assert len(files) >= 6
    for path in files:
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and node.module != "j1msky.money"  # pure money math, standard library only
            ):
                imported.add(node.module.split(".")[0])
        assert imported <= allowed, (path.name, imported - allowed)


# --- Budget figures (§8.1) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "spend", "reserved", "pct", "remaining"),
    [
        ("50", "12.43", "0", "24.86", "37.5700"),  # the reference status
        ("50", "20", "5", "50.00", "25.0000"),  # reservations count as used
        ("200", "163.6118", "0", "81.81", "36.3882"),  # 81.8059 -> 81.81, half-up
        ("3", "0.00125", "0", "0.04", "2.9988"),  # 2.99875 -> 2.9988
        ("3.70", "3.70", "0", "100.00", "0.0000"),  # 37 x 0.10 is exactly 3.70
        ("50", "45", "10", "110.00", "0.0000"),  # over budget: remaining never negative
        ("0", "1", "0", "0.00", "0.0000"),  # budget <= 0: 0 %
        ("-5", "1", "2", "0.00", "0.0000"),
    ],
)
def test_budget_utilization_and_remaining(budget, spend, reserved, pct, remaining):
    figures = r.BudgetFigures(D(budget), D(spend), D(reserved))
    assert str(r.budget_utilization_pct(figures)) == pct
    assert str(r.budget_remaining(figures)) == remaining


def test_budget_figures_refuse_floats():
    with pytest.raises(TypeError):
        r.BudgetFigures(50.0, D(1))
    with pytest.raises(TypeError):
        r.BudgetFigures(D(50), D(1), reserved=0.5)


@pytest.mark.parametrize(
    ("used", "limit"),
    [("12.43", "50"), ("163.6118", "200"), ("0.00125", "3"), ("1", "0"), ("45", "-1")],
)
def test_budget_utilization_agrees_with_billing(used, limit):
    """`GET /billing/budget` and the status show the same number (§8.1: same definitions)."""
    from j1msky.money import utilization_pct

    figures = r.BudgetFigures(D(limit), D(used))
    assert r.budget_utilization_pct(figures) == utilization_pct(D(used), D(limit))


@pytest.mark.parametrize(
    ("pct", "level"),
    [
        ("0", "ok"),
        ("49.99", "ok"),
        ("49.994", "ok"),
        ("49.995", "notice"),  # shows as 50.00
        ("50", "notice"),
        ("69.99", "notice"),
        ("70", "warning"),
        ("70.00", "warning"),
        ("89.99", "warning"),
        ("90", "critical"),
        ("100", "critical"),
        ("150.5", "critical"),
    ],
)
def test_budget_alert_level(pct, level):
    assert r.budget_alert_level(D(pct)) == level
    assert r.budget_alert_level(D(pct)) is r.AlertLevel(level)


# --- Provider usage and operational flags (§8.1) -------------------------------------------------


def windows(*rows):
    return [r.ProviderWindow(provider, used, limit) for provider, used, limit in rows]


REFERENCE_WINDOWS = windows(("anthropic", 14, 50), ("kimi-coding", 22, 100))


def test_provider_usage_rows_of_the_reference():
    usage = r.provider_usage(REFERENCE_WINDOWS)
    assert {p: row.as_dict() for p, row in usage.items()} == {
        "anthropic": {"current": 14, "hourly": 50, "remaining": 36, "utilization_pct": D("28.00")},
        "kimi-coding": {
            "current": 22,
            "hourly": 100,
            "remaining": 78,
            "utilization_pct": D("22.00"),
        },
    }
    assert list(usage) == ["anthropic", "kimi-coding"]


@pytest.mark.parametrize(
    ("used", "limit", "remaining", "pct", "hot"),
    [
        (7999, 10000, 2001, "79.99", False),
        (8000, 10000, 2000, "80.00", True),
        (15999, 20000, 4001, "80.00", True),  # 79.995 shows as 80.00
        (40, 50, 10, "80.00", True),
        (39, 50, 11, "78.00", False),
        (0, 20, 20, "0.00", False),
        (0, 0, 0, "0.00", False),  # a limit of 0
        (60, 50, 0, "120.00", True),  # a limit lowered below the slots taken
    ],
)
def test_provider_row_and_hot_edge(used, limit, remaining, pct, hot):
    usage = r.provider_usage(windows(("openai-codex", used, limit)))
    row = usage["openai-codex"]
    assert (row.current, row.hourly, row.remaining, str(row.utilization_pct)) == (
        used,
        limit,
        remaining,
        pct,
    )
    flags = r.operational_flags(r.AlertLevel.OK, usage)
    assert flags.hot_providers == (("openai-codex",) if hot else ())
    assert flags.requires_ops_attention is hot


def test_provider_listed_twice_is_refused():
    with pytest.raises(ValueError):
        r.provider_usage(windows(("anthropic", 1, 50), ("anthropic", 2, 50)))


CRITICAL = "Pause non-critical workloads and force cheapest model routing"
WARNING = "Shift medium/low-priority tasks to k2p5/minimax and monitor hourly"
HOT_TWO = windows(
    ("anthropic", 45, 50), ("kimi-coding", 10, 100), ("openai-codex", 16, 20), ("x", 1, 100)
)


@pytest.mark.parametrize(
    ("level", "rows", "hot", "attention", "action", "highest"),
    [
        ("ok", REFERENCE_WINDOWS, [], False, "No action required", "28.00"),
        ("notice", REFERENCE_WINDOWS, [], False, "No action required", "28.00"),
        ("warning", REFERENCE_WINDOWS, [], True, WARNING, "28.00"),
        ("critical", REFERENCE_WINDOWS, [], True, CRITICAL, "28.00"),
        (
            "ok",
            HOT_TWO,
            ["anthropic", "openai-codex"],
            True,
            "Throttle traffic for: anthropic, openai-codex",
            "90.00",
        ),
        (
            "notice",
            HOT_TWO,
            ["anthropic", "openai-codex"],
            True,
            "Throttle traffic for: anthropic, openai-codex",
            "90.00",
        ),
        ("warning", HOT_TWO, ["anthropic", "openai-codex"], True, WARNING, "90.00"),
        ("critical", HOT_TWO, ["anthropic", "openai-codex"], True, CRITICAL, "90.00"),
        ("ok", [], [], False, "No action required", "0.00"),
    ],
)
def test_operational_flags(level, rows, hot, attention, action, highest):
    flags = r.operational_flags(r.AlertLevel(level), r.provider_usage(rows))
    assert flags.as_dict() == {
        "budget_alert_level": level,
        "max_provider_utilization_pct": D(highest),
        "hot_providers": hot,
        "requires_ops_attention": attention,
        "recommended_action": action,
    }


def test_hot_providers_keep_provider_order():
    rows = windows(("openai-codex", 20, 20), ("anthropic", 50, 50))
    flags = r.operational_flags(r.AlertLevel.OK, r.provider_usage(rows))
    assert flags.recommended_action == "Throttle traffic for: openai-codex, anthropic"


# --- Usage summary and model mix (§8.1) ----------------------------------------------------------


def calls(model, n, tokens=0, spend="0", at=0):
    return r.ModelCalls(model, n, tokens, D(spend), T0 + timedelta(seconds=at))


def test_usage_summary_of_the_reference_rows():
    summary = r.usage_summary(
        [calls("sonnet", 39, 94000, "0.282", at=5), calls("k2p5", 68, 112000, "0.112", at=9)]
    )
    assert summary == {
        "top_models": [
            {
                "model": "k2p5",
                "calls": 68,
                "tokens": 112000,
                "avg_tokens_per_call": D("1647.06"),
                "estimated_spend": D("0.1120"),
            },
            {
                "model": "sonnet",
                "calls": 39,
                "tokens": 94000,
                "avg_tokens_per_call": D("2410.26"),
                "estimated_spend": D("0.2820"),
            },
        ],
        "total_calls": 107,
    }


def test_usage_summary_keeps_the_top_five_and_counts_every_call():
    rows = [calls(f"m{i}", 10 + i, at=i) for i in range(7)]
    summary = r.usage_summary(rows)
    assert [row["model"] for row in summary["top_models"]] == ["m6", "m5", "m4", "m3", "m2"]
    assert summary["total_calls"] == sum(10 + i for i in range(7))


@pytest.mark.parametrize(
    ("rows", "order"),
    [
        # Ties go to the model seen first, whatever the input order.
        ([calls("b", 5, at=1), calls("a", 5, at=2)], ["b", "a"]),
        ([calls("a", 5, at=2), calls("b", 5, at=1)], ["b", "a"]),
        # Seen at the same instant: by name.
        ([calls("zeta", 5, at=1), calls("alpha", 5, at=1)], ["alpha", "zeta"]),
        ([calls("a", 4, at=0), calls("b", 5, at=9)], ["b", "a"]),
        # A model without calls has no rank.
        ([calls("a", 0, at=0), calls("b", 1, at=9)], ["b"]),
    ],
)
def test_usage_summary_ranking(rows, order):
    assert [row["model"] for row in r.usage_summary(rows)["top_models"]] == order


@pytest.mark.parametrize(
    ("tokens", "n", "spend", "avg", "estimated"),
    [
        (1000, 3, "0.00125", "333.33", "0.0013"),
        (2000, 3, "0.00124", "666.67", "0.0012"),
        (5, 2, "0", "2.50", "0.0000"),
    ],
)
def test_usage_summary_rounding(tokens, n, spend, avg, estimated):
    (row,) = r.usage_summary([calls("k2p5", n, tokens, spend)])["top_models"]
    assert (str(row["avg_tokens_per_call"]), str(row["estimated_spend"])) == (avg, estimated)


COST_OPTIMIZED = {
    "strategy": "cost-optimized",
    "primary": ["k2p5", "minimax-m2.5"],
    "secondary": ["sonnet"],
    "restricted": ["opus"],
    "reason": "Budget pressure detected",
}
TODAY = [calls("opus", 3, at=1), calls("codex", 9, at=2), calls("sonnet", 3, at=0)]


@pytest.mark.parametrize(
    ("level", "rows", "expected"),
    [
        ("warning", TODAY, COST_OPTIMIZED),
        ("critical", [], COST_OPTIMIZED),
        (
            "ok",
            [],
            {
                "strategy": "balanced",
                "primary": ["k2p5", "sonnet"],
                "secondary": ["codex"],
                "restricted": [],
                "reason": "Normal operating range",
            },
        ),
        (
            "notice",
            [calls("k2p5", 68), calls("sonnet", 39, at=1)],
            {
                "strategy": "balanced",
                "primary": ["k2p5", "sonnet"],
                "secondary": ["codex"],
                "restricted": [],
                "reason": "Normal operating range",
            },
        ),
        (
            "ok",
            [*TODAY, calls("k2p5", 1, at=3)],
            {
                "strategy": "balanced",
                "primary": ["codex", "sonnet", "opus"],
                "secondary": [],
                "restricted": [],
                "reason": "Normal operating range",
            },
        ),
        (
            "ok",
            [calls("minimax-m2.5", 2)],
            {
                "strategy": "balanced",
                "primary": ["minimax-m2.5"],
                "secondary": ["codex"],
                "restricted": [],
                "reason": "Normal operating range",
            },
        ),
    ],
)
def test_model_mix_recommendation(level, rows, expected):
    assert r.model_mix_recommendation(r.AlertLevel(level), rows) == expected


def test_model_mix_answers_are_fresh_lists():
    first = r.model_mix_recommendation(r.AlertLevel.CRITICAL, [])
    first["primary"].append("opus")
    assert r.model_mix_recommendation(r.AlertLevel.CRITICAL, [])["primary"] == [
        "k2p5",
        "minimax-m2.5",
    ]


# --- Usage anomalies over the last hour (§8.1) ---------------------------------------------------


def volume(model, n):
    return {
        "type": "high_call_volume",
        "model": model,
        "value": n,
        "threshold": 100,
        "message": f"{model}: {n} calls in the last hour (threshold 100)",
    }


def heavy(model, avg):
    return {
        "type": "high_tokens_per_call",
        "model": model,
        "value": D(avg),
        "threshold": 5000,
        "message": f"{model}: {avg} tokens per call in the last hour (threshold 5000)",
    }


@pytest.mark.parametrize(
    ("rows", "items", "severity"),
    [
        ([], [], "none"),
        ([calls("k2p5", 99, 99 * 1000)], [], "none"),
        ([calls("k2p5", 100, 100 * 1000)], [volume("k2p5", 100)], "warning"),
        ([calls("opus", 10, 49_990)], [], "none"),  # 4999 per call
        ([calls("opus", 10, 50_000)], [heavy("opus", "5000.00")], "warning"),
        ([calls("opus", 3, 14_999)], [], "none"),  # 4999.67
        # One model over both thresholds is two anomalies: critical.
        (
            [calls("k2p5", 100, 500_000)],
            [volume("k2p5", 100), heavy("k2p5", "5000.00")],
            "critical",
        ),
        # 4999.995 shows as 5000.00 and is compared as shown.
        (
            [calls("sonnet", 200, 999_999)],
            [volume("sonnet", 200), heavy("sonnet", "5000.00")],
            "critical",
        ),
        # Two models, one each; most calls first.
        (
            [calls("opus", 2, 12_000, at=0), calls("k2p5", 150, 1500, at=5)],
            [volume("k2p5", 150), heavy("opus", "6000.00")],
            "critical",
        ),
        ([calls("codex", 0, 0)], [], "none"),
    ],
)
def test_usage_anomalies(rows, items, severity):
    assert r.usage_anomalies(rows) == {
        "has_anomalies": bool(items),
        "anomalies": items,
        "count": len(items),
        "severity": severity,
    }


# --- Monthly forecast (§8.1) ---------------------------------------------------------------------


def forecast(today, elapsed, spend, first, budget="50", day_length=DAY):
    inputs = r.ForecastInputs(
        today=today,
        seconds_elapsed=elapsed,
        seconds_in_day=day_length,
        daily_spend={day: D(amount) for day, amount in spend.items()},
        first_ledger_day=first,
        daily_budget=D(budget),
    )
    return r.monthly_forecast(inputs)


def days(start, end, amount):
    """{day: amount} for every day from start to end inclusive."""
    count = (end - start).days + 1
    return {start + timedelta(days=i): amount for i in range(count)}


@pytest.mark.parametrize(
    ("day", "month_days"),
    [
        (date(2026, 1, 15), 31),
        (date(2026, 2, 1), 28),
        (date(2026, 2, 28), 28),
        (date(2028, 2, 29), 29),  # leap year
        (date(2100, 2, 10), 28),  # not a leap year
        (date(2000, 2, 10), 29),
        (date(2026, 4, 30), 30),
        (date(2026, 12, 31), 31),
    ],
)
def test_days_in_month(day, month_days):
    assert r.days_in_month(day) == month_days


def test_forecast_mid_month_with_history():
    today = date(2026, 3, 15)
    spend = days(date(2026, 3, 1), date(2026, 3, 14), "10") | {today: "5"}
    result = forecast(today, DAY // 2, spend, date(2026, 1, 1))
    # 145 so far + 10/day x (half of today + 16 days)
    assert result.as_dict() == {
        "projected_spend": D("310.0000"),
        "budget_ceiling": D("1550.0000"),
        "delta_to_budget": D("1240.0000"),
    }
    assert (result.basis, result.history_days, result.days_left) == (
        "history_average",
        7,
        D("16.5"),
    )


def test_forecast_on_the_first_takes_history_from_the_previous_month():
    today = date(2026, 4, 1)
    spend = days(date(2026, 3, 25), date(2026, 3, 31), "7") | {
        date(2026, 3, 24): "1000",
        today: "2",
    }
    result = forecast(today, 6 * 3600, spend, date(2025, 12, 1))
    assert result.month_to_date == D("2.0000")  # March is not in April's month to date
    assert result.days_left == D("29.75")
    assert result.as_dict() == {
        "projected_spend": D("210.2500"),  # 2 + 7 x 29.75
        "budget_ceiling": D("1500.0000"),
        "delta_to_budget": D("1289.7500"),
    }


def test_forecast_at_the_start_of_the_first_projects_the_whole_month():
    today = date(2026, 5, 1)
    result = forecast(today, 0, days(date(2026, 4, 24), date(2026, 4, 30), "3"), date(2026, 1, 1))
    assert result.days_left == 31
    assert result.projected_spend == D("93.0000")


@pytest.mark.parametrize(
    ("elapsed", "days_left", "projected"),
    [
        (18 * 3600, "0.25", "124.0000"),  # 123 so far + 4 x 0.25
        (DAY, "0", "123.0000"),  # the month is over
    ],
)
def test_forecast_on_the_last_day(elapsed, days_left, projected):
    today = date(2026, 1, 31)
    spend = days(date(2026, 1, 1), date(2026, 1, 30), "4") | {today: "3"}
    result = forecast(today, elapsed, spend, date(2025, 6, 1))
    assert result.days_left == D(days_left)
    assert result.projected_spend == D(projected)
    assert result.budget_ceiling == D("1550.0000")


@pytest.mark.parametrize(
    ("today", "days_left", "ceiling"),
    [
        (date(2026, 2, 28), 1, "1400.0000"),  # last day of a 28-day February
        (date(2028, 2, 28), 2, "1450.0000"),  # leap year: the 29th is still to come
        (date(2028, 2, 29), 1, "1450.0000"),
    ],
)
def test_forecast_in_february(today, days_left, ceiling):
    spend = days(today - timedelta(days=7), today - timedelta(days=1), "2")
    result = forecast(today, 0, spend, date(2026, 1, 1))
    assert result.days_left == days_left
    assert result.budget_ceiling == D(ceiling)
    month_to_date = sum(
        (D(v) for d, v in spend.items() if d.month == today.month and d.year == today.year), D(0)
    )
    assert result.projected_spend == month_to_date + 2 * days_left


def test_forecast_without_history_uses_todays_run_rate():
    today = date(2026, 3, 10)
    result = forecast(today, 6 * 3600, {today: "3"}, today)
    assert (result.basis, result.history_days, result.daily_rate) == ("today_run_rate", 0, D(12))
    assert result.projected_spend == D("264.0000")  # 3 + 12 x (0.75 + 21)


def test_forecast_run_rate_counts_at_least_one_hour():
    today = date(2026, 3, 10)
    result = forecast(today, 600, {today: "0.5"}, today)
    assert result.daily_rate == D(12)  # 0.5 per hour, not 0.5 per 10 minutes


def test_forecast_run_rate_on_a_short_dst_day():
    today = date(2026, 3, 29)
    result = forecast(today, 41_400, {today: "2.3"}, today, day_length=82_800)
    assert result.daily_rate == D("4.6")
    assert result.days_left == D("2.5")
    assert result.projected_spend == D("13.8000")


def test_forecast_history_starts_at_the_first_ledger_day():
    today = date(2026, 3, 20)
    spend = {date(2026, 3, 17): "3", date(2026, 3, 18): "6", today: "1"}
    result = forecast(today, 0, spend, date(2026, 3, 17))
    assert (result.history_days, result.daily_rate) == (3, D(3))  # (3 + 6 + 0) / 3


def test_forecast_quiet_days_in_history_count_as_zero():
    today = date(2026, 3, 20)
    spend = {date(2026, 3, 13): "7", date(2026, 3, 19): "7"}
    result = forecast(today, 0, spend, date(2026, 1, 1))
    assert (result.history_days, result.daily_rate) == (7, D(2))


def test_forecast_never_spent():
    result = forecast(date(2026, 3, 20), 3600, {}, None)
    assert result.as_dict() == {
        "projected_spend": D("0.0000"),
        "budget_ceiling": D("1550.0000"),
        "delta_to_budget": D("1550.0000"),
    }


def test_forecast_over_budget_has_a_negative_delta():
    today = date(2026, 3, 20)
    spend = days(date(2026, 3, 1), date(2026, 3, 19), "80")
    result = forecast(today, 0, spend, date(2026, 1, 1))
    assert result.projected_spend == D("2480.0000")  # 80 x 19 + 80 x (1 + 11)
    assert result.delta_to_budget == D("-930.0000")


def test_forecast_rounds_once_half_up():
    today = date(2026, 3, 31)
    spend = {date(2026, 3, 30): "1"}
    result = forecast(today, 0, spend, date(2026, 1, 1))
    assert result.daily_rate == D(1) / 7
    assert result.projected_spend == D("1.1429")  # 1 + 1/7


@pytest.mark.parametrize(
    ("elapsed", "day_length", "spend", "error"),
    [
        (DAY + 1, DAY, {}, ValueError),
        (0, 0, {}, ValueError),
        (-1, DAY, {}, ValueError),
        (0, DAY, {date(2026, 3, 1): 1.5}, TypeError),
    ],
)
def test_forecast_refuses_bad_inputs(elapsed, day_length, spend, error):
    with pytest.raises(error):
        r.monthly_forecast(
            r.ForecastInputs(
                today=date(2026, 3, 1),
                seconds_elapsed=elapsed,
                seconds_in_day=day_length,
                daily_spend=spend,
                first_ledger_day=None,
                daily_budget=D(50),
            )
        )


# --- Model recommendation (§8.2) -----------------------------------------------------------------

RATE_CARD = {  # blended, per 1K tokens (§10.1)
    "k2p5": "0.001",
    "sonnet": "0.003",
    "opus": "0.015",
    "minimax-m2.5": "0.001",
    "codex": "0.002",
}
FALLBACKS = {  # the reference chain (§7.5)
    "opus": "sonnet",
    "sonnet": "k2p5",
    "k2p5": "minimax-m2.5",
    "minimax-m2.5": "codex",
    "codex": "sonnet",
}
REFERENCE_BUDGET = r.BudgetFigures(D(50), D("12.43"))


def routes(down=(), fallbacks=FALLBACKS, missing=()):
    return [
        r.ModelRoute(alias, D(rate), alias not in down, fallbacks.get(alias))
        for alias, rate in RATE_CARD.items()
        if alias not in missing
    ]


def recommend(task, down=(), budget=REFERENCE_BUDGET, tokens=1000, **options):
    return r.recommend_model(task, routes(down, **options), budget, tokens)


@pytest.mark.parametrize(
    ("task", "model", "label"),
    [
        ("architecture", "opus", "architecture"),
        ("strategy", "opus", "strategy"),
        ("complex_reasoning", "opus", "complex_reasoning"),
        ("implementation", "sonnet", "implementation"),
        ("documentation", "sonnet", "documentation"),
        ("coding", "k2p5", "coding"),
        ("fast_coding", "minimax-m2.5", "fast_coding"),
        ("api_integration", "codex", "api_integration"),
        ("specialized_coding", "codex", "specialized_coding"),
        ("ui_design", "sonnet", "ui_design"),
        ("business_analysis", "opus", "business_analysis"),
        ("translation", "sonnet", "other task types"),
        ("", "sonnet", "other task types"),
    ],
)
def test_recommend_first_preferred_model(task, model, label):
    result = recommend(task)
    assert (result.recommended_model, result.path, result.budget_available) == (
        model,
        "preferred",
        True,
    )
    assert result.reason == f"{model} is the first available preferred model for {label}"


def test_recommend_table_is_the_reference_table():
    assert r.TASK_PREFERENCES == {
        "architecture": ("opus", "k2p5"),
        "strategy": ("opus",),
        "complex_reasoning": ("opus",),
        "implementation": ("sonnet", "minimax-m2.5"),
        "documentation": ("sonnet",),
        "coding": ("k2p5", "minimax-m2.5", "codex"),
        "fast_coding": ("minimax-m2.5", "k2p5"),
        "api_integration": ("codex", "k2p5"),
        "specialized_coding": ("codex",),
        "ui_design": ("sonnet", "minimax-m2.5"),
        "business_analysis": ("opus", "sonnet"),
    }
    assert r.COST_ORDER == ("k2p5", "minimax-m2.5", "sonnet", "codex", "opus")


@pytest.mark.parametrize(
    ("task", "down", "model"),
    [
        ("architecture", {"opus"}, "k2p5"),
        ("implementation", {"sonnet"}, "minimax-m2.5"),
        ("coding", {"k2p5"}, "minimax-m2.5"),
        ("coding", {"k2p5", "minimax-m2.5"}, "codex"),
        ("fast_coding", {"minimax-m2.5"}, "k2p5"),
        ("api_integration", {"codex"}, "k2p5"),
        ("ui_design", {"sonnet"}, "minimax-m2.5"),
        ("business_analysis", {"opus"}, "sonnet"),
    ],
)
def test_recommend_next_preferred_model(task, down, model):
    result = recommend(task, down)
    assert (result.recommended_model, result.path) == (model, "preferred")


@pytest.mark.parametrize(
    ("task", "down", "model", "preferred"),
    [
        ("strategy", {"opus"}, "sonnet", "opus"),
        ("strategy", {"opus", "sonnet"}, "k2p5", "opus"),
        ("complex_reasoning", {"opus", "sonnet", "k2p5"}, "minimax-m2.5", "opus"),
        ("documentation", {"sonnet"}, "k2p5", "sonnet"),
        ("specialized_coding", {"codex"}, "sonnet", "codex"),
        ("specialized_coding", {"codex", "sonnet"}, "k2p5", "codex"),
        # Every preferred model down: the first one's chain is walked first.
        ("coding", {"k2p5", "minimax-m2.5", "codex"}, "sonnet", "k2p5"),
        ("architecture", {"opus", "k2p5", "sonnet"}, "minimax-m2.5", "opus"),
        ("translation", {"sonnet", "k2p5", "minimax-m2.5"}, "codex", "sonnet"),
    ],
)
def test_recommend_fallback_of_a_preferred_model(task, down, model, preferred):
    result = recommend(task, down)
    assert (result.recommended_model, result.path, result.budget_available) == (
        model,
        "fallback",
        True,
    )
    label = task if task in r.TASK_PREFERENCES else "other task types"
    assert result.reason == (
        f"No preferred model for {label} is available; {model} is the first available fallback"
        f" of {preferred}"
    )


def test_recommend_fallback_chain_never_loops():
    # codex -> sonnet -> k2p5 -> minimax-m2.5 -> codex would loop; opus is off every chain.
    result = recommend("specialized_coding", {"codex", "sonnet", "k2p5", "minimax-m2.5"})
    assert (result.recommended_model, result.path) == ("sonnet", "default")


def test_recommend_follows_the_catalogue_chain():
    chain = FALLBACKS | {"codex": "opus"}
    result = recommend("specialized_coding", {"codex"}, fallbacks=chain)
    assert (result.recommended_model, result.path) == ("opus", "fallback")


@pytest.mark.parametrize(
    ("task", "down", "fallbacks"),
    [
        ("coding", set(RATE_CARD), FALLBACKS),  # nothing available
        ("specialized_coding", {"codex", "sonnet"}, {}),  # codex has no fallback
    ],
)
def test_recommend_defaults_to_sonnet(task, down, fallbacks):
    result = recommend(task, down, fallbacks=fallbacks)
    assert (result.recommended_model, result.path, result.budget_available) == (
        "sonnet",
        "default",
        True,
    )
    assert result.reason == (
        f"No preferred model for {task} nor any fallback is available; defaulting to sonnet"
    )


def test_recommend_skips_a_model_missing_from_the_catalogue():
    result = recommend("api_integration", missing={"codex"})
    assert (result.recommended_model, result.path) == ("k2p5", "preferred")


@pytest.mark.parametrize(
    ("enabled", "remaining", "breaker", "available"),
    [
        (True, 1, "closed", True),
        (True, 50, "closed", True),
        (True, 0, "closed", False),  # window full
        (True, 5, "open", False),
        (True, 5, "half_open", False),
        (False, 5, "closed", False),  # disabled alias
    ],
)
def test_model_available(enabled, remaining, breaker, available):
    assert (
        r.model_available(enabled=enabled, window_remaining=remaining, breaker_state=breaker)
        is available
    )


@pytest.mark.parametrize(
    ("spend", "reserved", "tokens", "fits"),
    [
        ("49.985", "0", 1000, True),  # 49.985 + 0.015 = 50 exactly
        ("49.9851", "0", 1000, False),
        ("40", "9.985", 1000, True),  # reservations count
        ("40", "9.9851", 1000, False),
        ("49.9625", "0", 2500, True),  # 2500 tokens of opus: 0.0375
        ("49.9626", "0", 2500, False),
        ("50", "0", 0, True),  # no tokens cost nothing
    ],
)
def test_model_fits_edge(spend, reserved, tokens, fits):
    budget = r.BudgetFigures(D(50), D(spend), D(reserved))
    opus = r.ModelRoute("opus", D("0.015"), True)
    assert r.model_fits(opus, tokens, budget) is fits
    assert r.model_fits(None, 0, budget) is False
    result = r.recommend_model("strategy", routes(), budget, tokens)
    assert (result.recommended_model == "opus") is fits


@pytest.mark.parametrize(
    ("task", "down", "spend", "tokens", "choice", "model"),
    [
        ("architecture", (), "49.99", 1000, "opus", "k2p5"),
        ("architecture", {"k2p5"}, "49.99", 1000, "opus", "minimax-m2.5"),
        ("strategy", {"k2p5", "minimax-m2.5"}, "49.99", 1000, "opus", "sonnet"),
        ("documentation", (), "49.998", 1000, "sonnet", "k2p5"),
        ("api_integration", (), "49.95", 30_000, "codex", "k2p5"),  # k2p5 0.03, codex 0.06
    ],
)
def test_recommend_budget_downgrade(task, down, spend, tokens, choice, model):
    result = recommend(task, down, r.BudgetFigures(D(50), D(spend)), tokens)
    assert (result.recommended_model, result.path, result.budget_available) == (
        model,
        "budget_downgrade",
        True,
    )
    assert result.reason == (
        f"{choice} would exceed the daily budget; {model} is the first available model in cost"
        " order that fits"
    )


def test_recommend_budget_downgrade_from_the_default():
    # codex is down and has no fallback: the default sonnet (down too) is too dear; k2p5 fits.
    budget = r.BudgetFigures(D(50), D("49.998"))
    down = {"codex", "sonnet", "opus", "minimax-m2.5"}
    result = recommend("specialized_coding", down, budget, fallbacks={})
    assert (result.recommended_model, result.path, result.budget_available) == (
        "k2p5",
        "budget_downgrade",
        True,
    )
    assert result.reason == (
        "sonnet would exceed the daily budget; k2p5 is the first available model in cost order"
        " that fits"
    )


@pytest.mark.parametrize(
    ("task", "down", "model"),
    [
        ("coding", (), "k2p5"),
        ("architecture", (), "k2p5"),
        ("coding", {"k2p5"}, "minimax-m2.5"),
        ("strategy", {"k2p5", "minimax-m2.5"}, "sonnet"),
        ("strategy", {"k2p5", "minimax-m2.5", "sonnet", "codex"}, "opus"),
    ],
)
def test_recommend_when_no_model_fits(task, down, model):
    budget = r.BudgetFigures(D(50), D(45), D(5))  # the day is spent
    result = recommend(task, down, budget)
    assert result.as_dict() == {
        "recommended_model": model,
        "budget_available": False,
        "daily_budget": D("50.0000"),
        "today_spend": D("45.0000"),
        "budget_remaining": D("0.0000"),
        "reason": (
            f"No available model fits the daily budget; {model} is the first available model in"
            " cost order"
        ),
    }
    assert result.path == "no_model_fits"


def test_recommend_when_nothing_is_available_and_nothing_fits():
    result = recommend("coding", set(RATE_CARD), r.BudgetFigures(D(0), D(0)))
    assert (result.recommended_model, result.path, result.budget_available) == (
        "sonnet",
        "none_available",
        False,
    )
    assert result.reason == "No model is available and sonnet does not fit the daily budget"


def test_recommend_response_of_the_reference():
    result = recommend("coding", tokens=2500)
    assert result.as_dict() == {
        "recommended_model": "k2p5",
        "budget_available": True,
        "daily_budget": D("50.0000"),
        "today_spend": D("12.4300"),
        "budget_remaining": D("37.5700"),
        "reason": "k2p5 is the first available preferred model for coding",
    }


@pytest.mark.parametrize("tokens", [-1, 1.5, True, "1000"])
def test_recommend_refuses_bad_token_counts(tokens):
    with pytest.raises(ValueError):
        r.recommend_model("coding", routes(), REFERENCE_BUDGET, tokens)


# --- Budget events and level transitions of the beat job (§11, §14) ------------------------------

WARN, CRIT = "pricing.budget_warning", "pricing.budget_critical"
TODAY_DATE = date(2026, 2, 19)


@pytest.mark.parametrize(
    ("pct", "events", "transition"),
    [
        ("0", (), None),
        ("49.99", (), None),
        ("50", (), ("ok", "notice")),
        ("79.99", (), ("ok", "warning")),
        ("80", (), ("ok", "warning")),  # strictly above 80 % crosses it
        ("80.01", (WARN,), ("ok", "warning")),
        ("80.004", (), ("ok", "warning")),  # shows as 80.00
        ("80.005", (WARN,), ("ok", "warning")),  # shows as 80.01
        ("90", (WARN,), ("ok", "critical")),
        ("95", (WARN,), ("ok", "critical")),
        ("95.01", (WARN, CRIT), ("ok", "critical")),
        ("130", (WARN, CRIT), ("ok", "critical")),
    ],
)
def test_budget_alert_check_from_a_fresh_day(pct, events, transition):
    alerts, state = r.budget_alert_check(None, day=TODAY_DATE, utilization_pct=D(pct))
    assert alerts.events == events
    got = (alerts.transition.previous, alerts.transition.current) if alerts.transition else None
    assert got == transition
    assert state.events_sent == frozenset(events)
    assert state.day == TODAY_DATE


def test_budget_alert_check_over_a_day():
    steps = [
        ("10", (), None),
        ("50", (), "ok → notice"),
        ("55", (), None),
        ("70", (), "notice → warning"),
        ("80.01", (WARN,), None),
        ("85", (), None),
        ("60", (), None),  # a release lowers it: nothing is logged
        ("81", (), None),  # crossing 80 % again the same day: no second event
        ("90", (), "warning → critical"),
        ("95.01", (CRIT,), None),
        ("40", (), None),
        ("99", (), None),
    ]
    state = None
    for pct, events, transition in steps:
        alerts, state = r.budget_alert_check(state, day=TODAY_DATE, utilization_pct=D(pct))
        assert alerts.events == events, pct
        assert (str(alerts.transition) if alerts.transition else None) == transition, pct
    assert state == r.BudgetAlertState(
        day=TODAY_DATE, level=r.AlertLevel.CRITICAL, events_sent=frozenset({WARN, CRIT})
    )


def test_budget_alert_check_starts_again_each_budget_day():
    yesterday = r.BudgetAlertState(
        day=TODAY_DATE - timedelta(days=1),
        level=r.AlertLevel.CRITICAL,
        events_sent=frozenset({WARN, CRIT}),
    )
    alerts, state = r.budget_alert_check(yesterday, day=TODAY_DATE, utilization_pct=D("85"))
    assert alerts.events == (WARN,)
    assert str(alerts.transition) == "ok → warning"
    assert state == r.BudgetAlertState(
        day=TODAY_DATE, level=r.AlertLevel.WARNING, events_sent=frozenset({WARN})
    )


def test_budget_alert_check_remembers_nothing_new_when_quiet():
    state = r.BudgetAlertState(day=TODAY_DATE, level=r.AlertLevel.NOTICE)
    alerts, after = r.budget_alert_check(state, day=TODAY_DATE, utilization_pct=D("51"))
    assert alerts == r.BudgetAlerts()
    assert after == state
