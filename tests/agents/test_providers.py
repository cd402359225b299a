"""Provider adapters, retries and the circuit breaker.

The adapters run for real (official SDKs, real HTTP) against the fake provider server on
127.0.0.1; nothing here needs Django or a database.
"""

from __future__ import annotations

import email.utils
import itertools
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import anthropic as anthropic_sdk
import openai
import pytest

from agents.providers import (
    Adapter,
    BreakerPolicy,
    BreakerState,
    CompletionRequest,
    ProviderConfig,
    ProviderError,
    ProviderPermanentError,
    ProviderTransientError,
    adapter_for,
    breaker_acquire,
    breaker_allows,
    breaker_record_failure,
    breaker_record_success,
    breaker_retry_after,
    breaker_status,
    call_with_retries,
    parse_retry_after,
)
from agents.providers.anthropic import AnthropicAdapter
from agents.providers.errors import error_for_status
from agents.providers.openai_compat import OpenAICompatAdapter
from agents.providers.retry import backoff_delay
from agents.providers.simulated import SimulatedAdapter, simulated_text
from tests.fakeprovider import (
    FakeProviderServer,
    drop,
    fake_provider_server,
    hang,
    malformed,
    ok,
    slow,
    status,
    stream_error,
)

API_KEY = "sk-test-0123456789"
WIRES = ["anthropic", "openai"]
UPSTREAM = {"anthropic": "claude-sonnet-4-6", "openai": "kimi-k2.5"}
PROVIDER = {"anthropic": "anthropic", "openai": "kimi-coding"}


@pytest.fixture
def make_adapter(fake_provider: FakeProviderServer) -> Iterator[Callable[..., Adapter]]:
    made: list[Adapter] = []

    def make(kind: str, *, api_key: str | None = API_KEY, **options: object) -> Adapter:
        url = (
            fake_provider.anthropic_base_url
            if kind == "anthropic"
            else fake_provider.openai_base_url
        )
        options.setdefault("progress_interval", 0.05)
        options.setdefault("cancel_interval", 0.02)
        adapter = adapter_for(ProviderConfig(PROVIDER[kind], kind, url, api_key), **options)  # type: ignore[arg-type]
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


def request(kind: str, **fields: object) -> CompletionRequest:
    values: dict[str, object] = {
        "model": UPSTREAM[kind],
        "prompt": "Write a haiku about budgets.",
        "max_tokens": 321,
        "timeout": 10.0,
    }
    values.update(fields)
    return CompletionRequest(**values)  # type: ignore[arg-type]


class Sleeps:
    """An injected sleep that records what it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


# --------------------------------------------------------------------------- the wire


@pytest.mark.parametrize("kind", WIRES)
def test_model_auth_max_tokens_and_prompt_reach_the_provider(fake_provider, make_adapter, kind):
    make_adapter(kind).run(request(kind, system="You are terse."))

    sent = fake_provider.last_request
    assert sent.body["model"] == UPSTREAM[kind]
    assert sent.body["max_tokens"] == 321
    assert sent.body["stream"] is True
    assert sent.api_key == API_KEY
    if kind == "anthropic":
        assert sent.path == "/v1/messages"
        assert sent.headers["anthropic-version"]
        assert sent.body["system"] == "You are terse."
        assert sent.body["messages"] == [
            {"role": "user", "content": "Write a haiku about budgets."}
        ]
    else:
        assert sent.path == "/v1/chat/completions"
        assert sent.headers["authorization"] == f"Bearer {API_KEY}"
        assert sent.body["stream_options"] == {"include_usage": True}
        assert sent.body["messages"] == [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Write a haiku about budgets."},
        ]


@pytest.mark.parametrize("kind", WIRES)
def test_text_and_usage_come_back_exactly_as_reported(fake_provider, make_adapter, kind):
    text = "Ledger lines at dusk / every token has a price / the budget holds firm"
    fake_provider.enqueue(ok(text, input_tokens=1234, output_tokens=56))

    result = make_adapter(kind).run(request(kind))

    assert result.text == text
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1234, 56)
    assert result.usage_estimated is False
    assert result.finish_reason == "stop"
    assert not (result.cancelled or result.timed_out or result.simulated)


@pytest.mark.parametrize(
    ("kind", "wire_reason"), [("anthropic", "max_tokens"), ("openai", "length")]
)
def test_a_reply_cut_by_max_tokens_finishes_with_length(
    fake_provider, make_adapter, kind, wire_reason
):
    fake_provider.enqueue(ok(finish_reason=wire_reason))
    assert make_adapter(kind).run(request(kind)).finish_reason == "length"


@pytest.mark.parametrize("kind", WIRES)
def test_progress_is_reported_while_streaming_and_at_the_end(fake_provider, make_adapter, kind):
    text = "abcd" * 40
    fake_provider.enqueue(ok(text, output_tokens=41, chunk_chars=4, chunk_delay=0.01))
    calls: list[tuple[float, int, str]] = []

    result = make_adapter(kind, progress_interval=0.1).run(
        request(kind),
        on_progress=lambda tokens, so_far: calls.append((time.monotonic(), tokens, so_far)),
    )

    assert len(calls) >= 3  # 40 chunks 10 ms apart, reported at most every 0.1 s, + the end
    assert calls[-1][1:] == (41, text)  # the last call carries the reported figure
    for (_, tokens, so_far), (_, next_tokens, next_text) in itertools.pairwise(calls):
        assert text.startswith(so_far) and next_text.startswith(so_far)
        assert next_tokens >= tokens
    streamed = calls[:-1]
    for (at, _, _), (next_at, _, _) in itertools.pairwise(streamed):
        assert next_at - at >= 0.09
    assert result.text == text


def test_without_a_usage_chunk_the_counts_are_estimated(fake_provider, make_adapter):
    """An OpenAI-compatible server that ignores stream_options: ⌈chars / 4⌉ both ways."""
    text = "x" * 41
    fake_provider.enqueue(ok(text, include_usage=False))
    prompt = "p" * 17

    result = make_adapter("openai").run(request("openai", prompt=prompt, system="s" * 5))

    assert result.text == text
    assert result.usage_estimated is True
    assert result.usage.input_tokens == math.ceil(17 / 4) + math.ceil(5 / 4)
    assert result.usage.output_tokens == math.ceil(41 / 4)


# --------------------------------------------------------------------------- cancel


@pytest.mark.parametrize("kind", WIRES)
def test_cancel_mid_stream_stops_the_stream_and_counts_what_arrived(
    fake_provider, make_adapter, kind
):
    full = "0123456789" * 60  # 150 chunks of 4 chars, 50 ms apart: 7.5 s if read to the end
    fake_provider.enqueue(slow(full, chunk_chars=4, chunk_delay=0.05, input_tokens=77))
    seen: list[str] = []

    started = time.monotonic()
    result = make_adapter(kind).run(
        request(kind),
        on_progress=lambda tokens, so_far: seen.append(so_far),
        cancel=lambda: bool(seen) and len(seen[-1]) >= 20,
    )
    elapsed = time.monotonic() - started

    assert result.cancelled is True and result.timed_out is False
    assert result.finish_reason == "cancelled"
    assert 20 <= len(result.text) < len(full)
    assert full.startswith(result.text)
    assert result.usage.output_tokens == math.ceil(len(result.text) / 4)
    assert result.usage_estimated is True
    # Anthropic reports input tokens in message_start; OpenAI only at the very end.
    expected_input = 77 if kind == "anthropic" else math.ceil(len(request(kind).prompt) / 4)
    assert result.usage.input_tokens == expected_input
    assert elapsed < 3.0
    record = fake_provider.last_request
    assert record.disconnected.wait(3.0), "the server never saw the client go away"
    assert record.chunks_sent < 150


def test_cancel_before_the_call_sends_nothing(fake_provider, make_adapter):
    result = make_adapter("anthropic").run(request("anthropic"), cancel=lambda: True)

    assert result.cancelled is True
    assert (result.usage.input_tokens, result.usage.output_tokens) == (0, 0)
    assert fake_provider.requests == []


@pytest.mark.parametrize("kind", WIRES)
def test_cancel_is_noticed_while_the_provider_sends_nothing(fake_provider, make_adapter, kind):
    fake_provider.enqueue(hang(after_headers=True))
    cancelled_at: list[float] = []

    def cancel() -> bool:
        # Cancel 0.2 s after the stalled stream started (robust on a loaded machine).
        records = fake_provider.requests
        if not (records and records[-1].streaming.wait(0)):
            return False
        cancelled_at.append(time.monotonic())
        return cancelled_at[-1] - cancelled_at[0] >= 0.2

    result = make_adapter(kind).run(request(kind, timeout=20.0), cancel=cancel)

    assert result.cancelled is True
    assert time.monotonic() - cancelled_at[-1] < 1.0
    assert fake_provider.last_request.disconnected.wait(3.0)


# --------------------------------------------------------------------------- deadline


@pytest.mark.parametrize("kind", WIRES)
def test_a_slow_stream_is_cut_at_the_deadline(fake_provider, make_adapter, kind):
    fake_provider.enqueue(slow(chunk_delay=0.2))
    started = time.monotonic()

    result = make_adapter(kind).run(request(kind, timeout=1.5))
    elapsed = time.monotonic() - started

    assert result.timed_out is True and result.cancelled is False
    assert result.finish_reason == "timeout"
    # The whole reply takes 13 s (65 chunks); the cut comes at the deadline, with room for a
    # loaded machine.
    assert 1.4 <= elapsed < 6.0
    assert result.text  # a few chunks arrived before the deadline
    assert result.usage.output_tokens == math.ceil(len(result.text) / 4)
    assert fake_provider.last_request.disconnected.wait(3.0)


@pytest.mark.parametrize("kind", WIRES)
@pytest.mark.parametrize("after_headers", [False, True], ids=["no-reply", "stalled-stream"])
def test_a_provider_that_never_answers_times_out_at_the_deadline(
    fake_provider, make_adapter, kind, after_headers
):
    fake_provider.enqueue(hang(after_headers=after_headers))
    started = time.monotonic()

    result = make_adapter(kind).run(request(kind, timeout=0.6))

    assert result.timed_out is True
    assert time.monotonic() - started < 3.0
    assert result.text == ""
    assert result.usage.output_tokens == 0
    assert result.usage_estimated is True


# --------------------------------------------------------------------------- errors, retries


@pytest.mark.parametrize("kind", WIRES)
def test_429_is_retried_after_retry_after_then_succeeds(fake_provider, make_adapter, kind):
    fake_provider.enqueue(status(429, retry_after=2), ok("second time lucky", output_tokens=4))
    adapter, sleeps = make_adapter(kind), Sleeps()

    result = call_with_retries(lambda: adapter.run(request(kind)), sleep=sleeps, rng=lambda: 0.99)

    assert result.text == "second time lucky"
    assert sleeps.calls == [2.0]  # retry-after wins over the (smaller) jittered backoff
    assert len(fake_provider.requests) == 2


@pytest.mark.parametrize("kind", WIRES)
def test_retry_after_as_an_http_date_is_honoured(fake_provider, make_adapter, kind):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake_provider.enqueue(status(429, retry_after=when), ok())
    adapter, sleeps = make_adapter(kind), Sleeps()

    call_with_retries(lambda: adapter.run(request(kind)), sleep=sleeps, rng=lambda: 0.0)

    assert len(sleeps.calls) == 1
    assert 27.0 <= sleeps.calls[0] <= 30.0


def test_a_retry_after_past_the_deadline_is_not_waited_for(fake_provider, make_adapter):
    fake_provider.enqueue(status(429, retry_after=30))
    adapter, sleeps = make_adapter("anthropic"), Sleeps()

    with pytest.raises(ProviderTransientError) as caught:
        call_with_retries(
            lambda: adapter.run(request("anthropic")),
            sleep=sleeps,
            deadline=time.monotonic() + 5.0,
        )

    assert sleeps.calls == []
    assert caught.value.status == 429 and caught.value.retry_after == 30.0
    assert caught.value.attempts == 1


@pytest.mark.parametrize("kind", WIRES)
def test_a_run_of_500s_raises_transient_after_max_attempts(fake_provider, make_adapter, kind):
    fake_provider.enqueue(status(500), status(502), status(503), ok())
    adapter, sleeps = make_adapter(kind), Sleeps()

    with pytest.raises(ProviderTransientError) as caught:
        call_with_retries(
            lambda: adapter.run(request(kind)), max_attempts=3, sleep=sleeps, rng=lambda: 1.0
        )

    assert caught.value.status == 503
    assert caught.value.attempts == 3
    assert caught.value.code == "server_error"
    assert len(fake_provider.requests) == 3
    assert sleeps.calls == [0.5, 1.0]  # full jitter at its top: 0.5 * 2 ** (attempt - 1)


@pytest.mark.parametrize("kind", WIRES)
@pytest.mark.parametrize("code", [400, 401, 403, 404])
def test_client_errors_are_permanent_and_not_retried(fake_provider, make_adapter, kind, code):
    fake_provider.enqueue(status(code), ok())
    adapter, sleeps = make_adapter(kind), Sleeps()

    with pytest.raises(ProviderPermanentError) as caught:
        call_with_retries(lambda: adapter.run(request(kind)), sleep=sleeps)

    assert caught.value.status == code
    assert caught.value.transient is False
    assert sleeps.calls == []
    assert len(fake_provider.requests) == 1


def test_a_wrong_key_is_refused_by_the_provider_as_permanent():
    with fake_provider_server(api_key="the-right-key") as server:
        url = server.anthropic_base_url
        adapter = adapter_for(ProviderConfig("anthropic", "anthropic", url, "a-wrong-key"))
        try:
            with pytest.raises(ProviderPermanentError) as caught:
                adapter.run(request("anthropic"))
        finally:
            adapter.close()
    assert caught.value.status == 401
    assert caught.value.code == "authentication_failed"


@pytest.mark.parametrize("kind", WIRES)
def test_a_malformed_reply_is_permanent(fake_provider, make_adapter, kind):
    fake_provider.enqueue(malformed(), ok())
    adapter, sleeps = make_adapter(kind), Sleeps()

    with pytest.raises(ProviderPermanentError) as caught:
        call_with_retries(lambda: adapter.run(request(kind)), sleep=sleeps)

    assert caught.value.code == "malformed_reply"
    assert len(fake_provider.requests) == 1


@pytest.mark.parametrize("kind", WIRES)
def test_a_connection_cut_mid_stream_is_transient_and_carries_the_usage_so_far(
    fake_provider, make_adapter, kind
):
    fake_provider.enqueue(drop("abcdefghijklmnopqrstuvwxyz", after_chunks=3, input_tokens=40))

    with pytest.raises(ProviderTransientError) as caught:
        make_adapter(kind).run(request(kind))

    assert caught.value.usage is not None
    assert caught.value.usage.output_tokens == math.ceil(12 / 4)  # three chunks of 4 chars
    assert caught.value.usage_estimated is True
    if kind == "anthropic":
        assert caught.value.usage.input_tokens == 40


@pytest.mark.parametrize("kind", WIRES)
def test_an_overloaded_error_inside_the_stream_is_transient(fake_provider, make_adapter, kind):
    fake_provider.enqueue(stream_error("overloaded_error"))

    with pytest.raises(ProviderTransientError) as caught:
        make_adapter(kind).run(request(kind))

    assert caught.value.code == "stream_error"


@pytest.mark.parametrize("kind", WIRES)
def test_an_unreachable_provider_is_transient(kind):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}" + ("/v1" if kind == "openai" else "")
    adapter = adapter_for(ProviderConfig(PROVIDER[kind], kind, base, API_KEY))  # type: ignore[arg-type]

    try:
        with pytest.raises(ProviderTransientError) as caught:
            adapter.run(request(kind, timeout=5.0))
    finally:
        adapter.close()

    assert caught.value.code == "connection_error"
    assert caught.value.usage is None


# --------------------------------------------------------------------------- simulated


def test_the_simulated_backend_is_labelled_deterministic_and_counts_characters():
    adapter = adapter_for(ProviderConfig("kimi-coding", "simulated"))
    req = request("openai", prompt="Summarise the quarterly numbers.")

    first, second = adapter.run(req), adapter.run(req)

    assert first == second
    assert first.simulated is True
    assert first.text.startswith("[simulated]")
    assert first.text == simulated_text(req)
    assert first.usage.input_tokens == math.ceil(len(req.prompt) / 4)
    assert first.usage.output_tokens == math.ceil(len(first.text) / 4)
    assert first.finish_reason == "stop"


def test_the_simulated_backend_stops_at_max_tokens():
    result = SimulatedAdapter().run(request("openai", max_tokens=5))

    assert len(result.text) <= 20
    assert result.finish_reason == "length"
    assert result.usage.output_tokens <= 5


def test_the_simulated_backend_honours_cancel_and_the_deadline():
    adapter = SimulatedAdapter(token_delay=0.05, cancel_interval=0.01)
    full = simulated_text(request("openai"))

    started = time.monotonic()
    timed = adapter.run(request("openai", timeout=0.3))
    assert timed.timed_out is True and timed.simulated is True
    assert time.monotonic() - started < 1.5
    assert full.startswith(timed.text) and len(timed.text) < len(full)

    calls = iter([False, False, False, True])
    cancelled = adapter.run(request("openai"), cancel=lambda: next(calls, True))
    assert cancelled.cancelled is True
    assert full.startswith(cancelled.text) and len(cancelled.text) < len(full)


# --------------------------------------------------------------------------- retry rules


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0)]
)
def test_backoff_is_exponential_up_to_max_delay(attempt, expected):
    assert backoff_delay(attempt, rng=lambda: 1.0) == expected
    assert backoff_delay(attempt, rng=lambda: 0.0) == 0.0


def test_only_provider_errors_that_are_transient_are_retried():
    sleeps = Sleeps()
    calls: list[int] = []

    def boom() -> None:
        calls.append(1)
        raise ValueError("a bug, not a provider failure")

    with pytest.raises(ValueError):
        call_with_retries(boom, sleep=sleeps)
    assert calls == [1] and sleeps.calls == []


def test_on_retry_sees_each_retry_before_the_wait():
    errors = iter([ProviderTransientError("busy", retry_after=1.5), None])
    seen: list[tuple[int, str, float]] = []

    def flaky() -> str:
        error = next(errors)
        if error:
            raise error
        return "done"

    result = call_with_retries(
        flaky,
        sleep=Sleeps(),
        rng=lambda: 0.0,
        on_retry=lambda attempt, error, delay: seen.append((attempt, error.message, delay)),
    )
    assert result == "done"
    assert seen == [(1, "busy", 1.5)]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "Thu, 01 Jan 2099 00:00:10 GMT"}, 10.0),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers, expected):
    now = email.utils.parsedate_to_datetime("Thu, 01 Jan 2099 00:00:00 GMT").timestamp()
    assert parse_retry_after(headers, now=now) == expected


@pytest.mark.parametrize(
    ("status_code", "headers", "transient", "code"),
    [
        (400, {}, False, "bad_request"),
        (401, {}, False, "authentication_failed"),
        (403, {}, False, "permission_denied"),
        (404, {}, False, "not_found"),
        (408, {}, True, "timeout"),
        (429, {}, True, "rate_limited"),
        (500, {}, True, "server_error"),
        (529, {}, True, "server_error"),
        (500, {"x-should-retry": "false"}, False, "server_error"),
        (400, {"x-should-retry": "true"}, True, "bad_request"),
    ],
)
def test_error_classification(status_code, headers, transient, code):
    error = error_for_status(status_code, "x", headers=headers)
    assert error.transient is transient
    assert isinstance(error, ProviderTransientError if transient else ProviderPermanentError)
    assert (error.code, error.status) == (code, status_code)


# --------------------------------------------------------------------------- circuit breaker


class Clock:
    """An injectable clock for the breaker."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def at(self, offset: float) -> float:
        return 1_000.0 + offset


@dataclass(frozen=True)
class Step:
    at: float  # seconds after the start
    op: str  # fail | ok | acquire | look
    status: str  # the breaker as a reader sees it afterwards
    allowed: bool | None = None  # acquire's answer


ANTHROPIC = BreakerPolicy(failure_threshold=3, open_seconds=90.0)

BREAKER_STORIES = {
    "threshold failures open it": [
        Step(0, "fail", "closed"),
        Step(1, "fail", "closed"),
        Step(2, "fail", "open"),
        Step(3, "acquire", "open", allowed=False),
        Step(91.9, "acquire", "open", allowed=False),
    ],
    "a success resets the count": [
        Step(0, "fail", "closed"),
        Step(1, "fail", "closed"),
        Step(2, "ok", "closed"),
        Step(3, "fail", "closed"),
        Step(4, "fail", "closed"),
        Step(5, "fail", "open"),
    ],
    "half-open lets one call through, three successes close": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(90, "look", "half_open"),
        Step(90, "acquire", "half_open", allowed=True),
        Step(90.5, "acquire", "half_open", allowed=False),  # the probe is out
        Step(91, "ok", "half_open"),
        Step(91, "acquire", "half_open", allowed=True),
        Step(92, "ok", "half_open"),
        Step(92, "acquire", "half_open", allowed=True),
        Step(92.1, "acquire", "half_open", allowed=False),
        Step(93, "ok", "closed"),
        Step(93, "acquire", "closed", allowed=True),
        Step(93, "acquire", "closed", allowed=True),
    ],
    "a failure in half-open re-opens for a full period": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(100, "acquire", "half_open", allowed=True),
        Step(100, "ok", "half_open"),
        Step(101, "acquire", "half_open", allowed=True),
        Step(102, "fail", "open"),
        Step(191, "acquire", "open", allowed=False),
        Step(192, "acquire", "half_open", allowed=True),
    ],
    "a late reply while open changes nothing": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(10, "ok", "open"),
        Step(20, "fail", "open"),
        Step(89.9, "acquire", "open", allowed=False),
        Step(90, "acquire", "half_open", allowed=True),  # the clock was not pushed back
    ],
    "a probe that never reports back frees the slot": [
        Step(0, "fail", "closed"),
        Step(0, "fail", "closed"),
        Step(0, "fail", "open"),
        Step(90, "acquire", "half_open", allowed=True),
        Step(389, "acquire", "half_open", allowed=False),
        Step(390, "acquire", "half_open", allowed=True),
    ],
}


@pytest.mark.parametrize("story", list(BREAKER_STORIES))
def test_breaker_transitions(story):
    clock = Clock()
    state = BreakerState()
    for step in BREAKER_STORIES[story]:
        now = clock.at(step.at)
        if step.op == "fail":
            state = breaker_record_failure(state, now, policy=ANTHROPIC)
        elif step.op == "ok":
            state = breaker_record_success(state, now, policy=ANTHROPIC)
        elif step.op == "acquire":
            allowed, state = breaker_acquire(state, now, policy=ANTHROPIC)
            assert allowed is step.allowed, step
        assert breaker_status(state, now, policy=ANTHROPIC) == step.status, step


def test_breaker_allows_is_read_only_and_retry_after_counts_down():
    policy = BreakerPolicy(failure_threshold=5, open_seconds=60.0)  # kimi-coding's
    state = BreakerState()
    for second in range(5):
        state = breaker_record_failure(state, float(second), policy=policy)
    assert state.state == "open" and state.opened_at == 4.0

    assert breaker_allows(state, 30.0, policy=policy) is False
    assert breaker_retry_after(state, 30.0, policy=policy) == 34.0
    assert breaker_allows(state, 64.0, policy=policy) is True
    assert breaker_allows(state, 64.0, policy=policy) is True  # asking takes nothing
    assert breaker_retry_after(state, 64.0, policy=policy) == 0.0


# --------------------------------------------------------------------------- factory, fake


def test_adapter_for_picks_the_adapter_by_kind():
    assert isinstance(
        adapter_for(ProviderConfig("anthropic", "anthropic", None, "k")), AnthropicAdapter
    )
    assert isinstance(
        adapter_for(ProviderConfig("minimax-portal", "openai", "http://x/v1", "k")),
        OpenAICompatAdapter,
    )
    assert isinstance(adapter_for(ProviderConfig("opus", "simulated")), SimulatedAdapter)
    with pytest.raises(ValueError):
        ProviderConfig("x", "grpc")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        adapter_for(ProviderConfig("anthropic", "anthropic"))  # a live adapter needs its key


def test_the_api_key_never_shows_in_a_repr():
    config = ProviderConfig("anthropic", "anthropic", None, "sk-secret-value")
    assert "sk-secret-value" not in repr(config)
    assert "sk-secret-value" not in repr(adapter_for(config))
    error = ProviderTransientError("busy", provider="anthropic", status=529)
    assert isinstance(error, ProviderError) and "sk-secret" not in str(error)


def test_the_fake_speaks_the_non_streaming_formats_too(fake_provider):
    """The fake's JSON replies parse as the SDKs' own types (so its formats are real)."""
    fake_provider.enqueue(ok("plain json", input_tokens=3, output_tokens=2))
    fake_provider.enqueue(ok("plain json", input_tokens=3, output_tokens=2))

    with anthropic_sdk.Anthropic(
        api_key=API_KEY, base_url=fake_provider.anthropic_base_url, max_retries=0
    ) as client:
        message = client.messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert message.content[0].text == "plain json"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (3, 2)
    assert message.stop_reason == "end_turn"

    with openai.OpenAI(
        api_key=API_KEY, base_url=fake_provider.openai_base_url, max_retries=0
    ) as client:
        completion = client.chat.completions.create(
            model="kimi-k2.5", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.choices[0].message.content == "plain json"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, 2)


def test_the_fake_stops_promptly_with_a_client_still_waiting():
    with fake_provider_server() as server:
        server.enqueue(hang(seconds=60))
        client = socket.create_connection(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])))
        client.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        server.wait_for_requests(1)
        started = time.monotonic()
    try:
        assert time.monotonic() - started < 2.0
        assert server.last_request.finished.is_set()
        assert not [t for t in threading.enumerate() if t.name == "fake-provider"]
    finally:
        client.close()
