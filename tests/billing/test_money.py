"""Money math: token cost, rounding and micro-dollars (pure, table-driven)."""

from decimal import Decimal

import pytest

from j1msky.money import (
    from_micros,
    round_cost,
    round_cost_up,
    round_percent,
    to_micros,
    token_cost,
    utilization_pct,
)

D = Decimal


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "input_rate", "output_rate", "expected"),
    [
        # The rate card (semantics §10.1), USD per 1K tokens.
        (1000, 1000, "0.0005", "0.0015", "0.0020"),  # k2p5
        (1000, 1000, "0.003", "0.015", "0.0180"),  # sonnet
        (1000, 1000, "0.015", "0.075", "0.0900"),  # opus
        (1000, 1000, "0.0001", "0.0001", "0.0002"),  # minimax-m2.5
        (1000, 1000, "0.002", "0.006", "0.0080"),  # codex
        (0, 0, "0.015", "0.075", "0.0000"),
        # Half-up on the exact value: 0.00125 → 0.0013, 0.00005 → 0.0001, 0.0000499 → 0.
        (0, 250, "0", "0.005", "0.0013"),
        (100, 0, "0.0005", "0", "0.0001"),
        (998, 0, "0.00005", "0", "0.0000"),
        (1234, 567, "0.0005", "0.0015", "0.0015"),  # 0.0014675
        (89, 1011, "0.003", "0.015", "0.0154"),  # 0.015432
        (777, 333, "0.002", "0.006", "0.0036"),  # 0.003552
        (10**9, 10**9, "0.015", "0.075", "90000.0000"),
    ],
)
def test_token_cost(input_tokens, output_tokens, input_rate, output_rate, expected):
    cost = token_cost(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        input_rate=D(input_rate),
        output_rate=D(output_rate),
    )
    assert cost == D(expected)
    assert cost.as_tuple().exponent == -4


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10", None])
def test_token_cost_refuses_bad_counts(bad):
    with pytest.raises(ValueError):
        token_cost(input_tokens=bad, output_tokens=0, input_rate=D(1), output_rate=D(1))


@pytest.mark.parametrize(
    ("value", "cost", "up", "percent"),
    [
        ("0.00125", "0.0013", "0.0013", "0.00"),
        ("81.8059", "81.8059", "81.8059", "81.81"),
        ("0.00001", "0.0000", "0.0001", "0.00"),
        ("-0.00001", "0.0000", "0.0000", "0.00"),
        ("12.344999", "12.3450", "12.3450", "12.34"),
        ("2", "2.0000", "2.0000", "2.00"),
    ],
)
def test_rounding(value, cost, up, percent):
    assert str(round_cost(D(value))) == cost
    assert str(round_cost_up(D(value))) == up
    assert str(round_percent(D(value))) == percent


def test_micros_are_exact_and_refuse_floats_and_dust():
    assert to_micros(D("3.7")) == 3_700_000
    assert to_micros(D("0.000001")) == 1
    assert to_micros(5) == 5_000_000
    assert to_micros("0.1") == 100_000
    assert sum([to_micros(D("0.1"))] * 37) == to_micros(D("3.7"))  # the float trap, avoided
    assert from_micros(1_300) == D("0.0013")
    assert from_micros(1) == D("0.000001")
    assert from_micros(to_micros(D("12.3456"))) == D("12.3456")
    with pytest.raises(ValueError):
        to_micros(D("0.0000001"))
    with pytest.raises(TypeError):
        to_micros(0.1)
    with pytest.raises(ValueError):
        to_micros(D("NaN"))
    with pytest.raises(ValueError):
        to_micros("abc")


@pytest.mark.parametrize(
    ("used", "limit", "expected"),
    [("12.43", "50", "24.86"), ("0", "50", "0.00"), ("5", "0", "0.00"), ("60", "50", "120.00")],
)
def test_utilization_pct(used, limit, expected):
    assert utilization_pct(D(used), D(limit)) == D(expected)
