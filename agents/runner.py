"""Running one claimed agent: its steps against the providers, the ledger, the terminal state.

Every provider call writes one ledger row (even a failed or cancelled one, for the tokens the
provider used), so the settled cost is the ledger's sum and a retried task never pays twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from agents.catalogue import breaker_report, breaker_take, fallback_chain, provider_adapter
from agents.models import Agent, ModelAlias
from agents.outage import DB_UNAVAILABLE, db_connection_drop, db_retrying, run_heartbeat
from agents.providers import (
    CompletionRequest,
    CompletionResult,
    ProviderError,
    call_with_retries,
)
from agents.services import REVIEW_PROMPT, agent_finish
from billing.errors import ProviderRateLimited
from billing.services import ledger_record, window_take

logger = logging.getLogger(__name__)

PROGRESS_WRITE_SECONDS = 0.5


class StepFailed(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class Stopped(Exception):
    """The run stops before its step finished; `text` is what the step had produced."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text[:80])
        self.text = text


class Cancelled(Stopped):
    pass


class TimedOut(Stopped):
    pass


@dataclass
class RunContext:
    agent: Agent
    deadline: float  # time.monotonic()
    last_write: float = 0.0
    last_cancel_check: float = 0.0
    cancelled: bool = False
    output: str = ""  # the output of the last step that finished

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def cancel_requested(self) -> bool:
        now = time.monotonic()
        if self.cancelled or now - self.last_cancel_check < 0.2:
            return self.cancelled
        self.last_cancel_check = now
        # A run that is no longer `running` (reaped as lost meanwhile) stops like a cancelled one:
        # its end is already written, and it must not go on calling providers.
        try:
            self.cancelled = (
                Agent.objects.filter(agent_id=self.agent.agent_id)
                .filter(Q(cancel_requested=True) | ~Q(status=Agent.Status.RUNNING))
                .exists()
            )
        except DB_UNAVAILABLE:  # the stream goes on; the next check asks again
            db_connection_drop()
        return self.cancelled

    def progress(self, base_tokens: int, output_tokens: int) -> None:
        now = time.monotonic()
        if now - self.last_write < PROGRESS_WRITE_SECONDS:
            return
        self.last_write = now
        try:
            Agent.objects.filter(agent_id=self.agent.agent_id).update(
                progress_tokens=base_tokens + output_tokens
            )
        except DB_UNAVAILABLE:  # progress is a hint: the next write, or the end, catches up
            db_connection_drop()


def _record(ctx: RunContext, alias: ModelAlias, step: int, usage, simulated: bool) -> None:
    """The call's ledger row: the provider has charged for it, so a database outage delays the
    row but does not lose it."""
    agent = ctx.agent
    db_retrying(
        lambda: _ledger_write(agent, alias, step, usage, simulated),
        what=f"the ledger row of agent {agent.agent_id}",
    )


def _ledger_write(agent: Agent, alias: ModelAlias, step: int, usage, simulated: bool) -> None:
    ledger_record(
        agent_id=agent.agent_id,
        step=step,
        owner=agent.owner,
        api_key=agent.api_key,
        model=alias.alias,
        provider=alias.provider_id,
        input_rate=alias.input_rate,
        output_rate=alias.output_rate,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        reservation=agent.reservation,
        simulated=simulated,
    )


def _slot_take(ctx: RunContext, alias: ModelAlias) -> None:
    """A retry or run-time fallback takes another window slot, waiting for the next window
    when the timeout allows (semantics §7.7); otherwise the step fails provider_rate_limited."""
    while True:
        try:
            window_take(provider=alias.provider_id, hourly_limit=alias.provider.hourly_limit)
            return
        except ProviderRateLimited as exc:
            if ctx.cancel_requested():
                raise Cancelled() from exc
            wait = exc.extra.get("retry_after", 1)
            if wait >= ctx.remaining():
                raise StepFailed("provider_rate_limited", exc.message) from exc
            deadline = time.monotonic() + min(wait, 5)
            while time.monotonic() < deadline:
                time.sleep(0.2)
                if ctx.cancel_requested():
                    raise Cancelled() from exc


def _call(
    ctx: RunContext,
    alias: ModelAlias,
    prompt: str,
    step: int,
    base_tokens: int,
    *,
    slot_taken: bool,
) -> CompletionResult:
    """One model's attempt at a step, with transient retries (each retry takes a window slot)."""
    agent = ctx.agent
    adapter = provider_adapter(alias.provider)
    calls = {"n": 0}

    def attempt() -> CompletionResult:
        if calls["n"] > 0 or not slot_taken:
            _slot_take(ctx, alias)
        calls["n"] += 1
        if not breaker_take(alias.provider_id):
            raise StepFailed("provider_unavailable", f"{alias.provider_id} circuit breaker is open")
        request = CompletionRequest(
            model=alias.upstream_model,
            prompt=prompt,
            max_tokens=agent.max_tokens,
            timeout=max(ctx.remaining(), 0.1),
        )
        try:
            result = adapter.run(
                request,
                on_progress=lambda tokens, _text: ctx.progress(base_tokens, tokens),
                cancel=ctx.cancel_requested,
            )
        except ProviderError as error:
            if error.usage is not None:
                _record(ctx, alias, step, error.usage, adapter.simulated)
            breaker_report(alias.provider_id, ok=False)
            raise
        if result.sent:  # a cancel noticed before the request went out made no call
            _record(ctx, alias, step, result.usage, result.simulated)
        if not (result.cancelled or result.timed_out):
            breaker_report(alias.provider_id, ok=True)
        return result

    return call_with_retries(
        attempt,
        max_attempts=3,
        deadline=ctx.deadline,
        on_retry=lambda n, error, delay: logger.warning(
            "agent %s step %s: %s, retry %s in %.1fs", agent.agent_id, step, error, n, delay
        ),
    )


def _run_step(
    ctx: RunContext, alias: ModelAlias, prompt: str, step: int, base_tokens: int
) -> tuple[ModelAlias, CompletionResult]:
    """Run a step on its model, then along the fallback chain when the provider fails."""
    # Lazily: a fallback is looked up only once the models before it have failed.
    chain = fallback_chain(alias) if ctx.agent.fallback else iter([alias])
    last_error: ProviderError | StepFailed | None = None
    for position, candidate in enumerate(chain):
        if not candidate.enabled:
            continue
        try:
            result = _call(ctx, candidate, prompt, step, base_tokens, slot_taken=position == 0)
        except (ProviderError, StepFailed) as error:
            last_error = error
            logger.warning(
                "agent %s step %s on %s failed: %s",
                ctx.agent.agent_id,
                step,
                candidate.alias,
                error,
            )
            continue
        if result.cancelled:
            raise Cancelled(result.text)
        if result.timed_out:
            raise TimedOut(result.text)
        return candidate, result
    if isinstance(last_error, StepFailed):
        raise last_error
    code = getattr(last_error, "code", "provider_error")
    raise StepFailed("provider_error", f"{code}: {last_error}")


def _step_models(agent: Agent) -> list[ModelAlias]:
    if not agent.team_id:
        return [agent.model]
    aliases = [step["model"] for step in agent.steps]
    found = {
        a.alias: a for a in ModelAlias.objects.select_related("provider").filter(pk__in=aliases)
    }
    return [found[alias] for alias in aliases]


def _steps_save(agent: Agent, steps: list[dict]) -> None:
    if steps:
        Agent.objects.filter(agent_id=agent.agent_id).update(steps=steps)


def _run_steps(ctx: RunContext, aliases: list[ModelAlias], steps: list[dict]) -> str:
    """Run each step in order (semantics §7.4); the last step's output. A team's steps record
    their model, result and usage as they end; the agent's `model` is always the model that
    produced its result so far (a fallback's, or a team's latest step's)."""
    agent = ctx.agent
    previous = ""
    tokens_done = 0
    for index, alias in enumerate(aliases):
        prompt = (
            agent.task
            if index == 0
            else REVIEW_PROMPT.format(
                step=index + 1, steps=len(aliases), task=agent.task, previous=previous
            )
        )
        if steps:
            steps[index].update(status="running", started=timezone.now().isoformat())
            _steps_save(agent, steps)
        used, result = _run_step(ctx, alias, prompt, index + 1, tokens_done)
        ctx.output = previous = result.text
        tokens_done += result.usage.output_tokens
        if steps:
            steps[index].update(
                status="completed",
                model=used.alias,
                result=result.text,
                usage={
                    "input_tokens": result.usage.input_tokens,
                    "output_tokens": result.usage.output_tokens,
                },
                completed=timezone.now().isoformat(),
            )
            _steps_save(agent, steps)
        if used.alias != agent.model_id:  # the model that produced the result so far
            Agent.objects.filter(agent_id=agent.agent_id).update(model=used)
            agent.model = used
    return previous


def _finish(agent: Agent, **fields) -> bool:
    """`agent_finish`, retried while the database is unreachable (it is a compare-and-set: a
    repeat after an end that did commit changes nothing)."""
    return db_retrying(
        lambda: agent_finish(agent=agent, **fields), what=f"the end of agent {agent.agent_id}"
    )


def agent_run(*, agent: Agent) -> None:
    """Run a claimed agent to exactly one terminal state."""
    ctx = RunContext(agent=agent, deadline=time.monotonic() + agent.timeout)
    steps = list(agent.steps)
    try:
        output = _run_steps(ctx, _step_models(agent), steps)
    except Cancelled as stop:
        _mark_step(agent, steps, "cancelled", stop.text)
        _finish(agent, status=Agent.Status.CANCELLED, result=stop.text or ctx.output)
    except TimedOut as stop:
        _mark_step(agent, steps, "failed", stop.text)
        _finish(
            agent,
            status=Agent.Status.FAILED,
            result=stop.text or ctx.output,
            error_type="timeout",
            error_message=f"Run exceeded its {agent.timeout} s timeout",
        )
    except StepFailed as failure:
        _mark_step(agent, steps, "failed")
        _finish(
            agent,
            status=Agent.Status.FAILED,
            result=ctx.output,
            error_type=failure.error_type,
            error_message=failure.message,
        )
    else:
        _finish(agent, status=Agent.Status.COMPLETED, result=output)


def _mark_step(agent: Agent, steps: list[dict], status: str, text: str = "") -> None:
    """The step that was running ends `status`, keeping what it had produced."""
    for step in steps:
        if step.get("status") == "running":
            step["status"] = status
            if text:
                step["result"] = text
    if steps:
        Agent.objects.filter(agent_id=agent.agent_id).update(steps=steps)


def agent_run_safely(*, agent: Agent) -> None:
    """Whatever happens, the agent ends terminal: an unexpected error fails it, logged."""
    try:
        with run_heartbeat(agent):
            agent_run(agent=agent)
    except Exception as exc:
        logger.exception("agent %s crashed", agent.agent_id)
        close_old_connections()
        _finish(
            agent,
            status=Agent.Status.FAILED,
            error_type="internal_error",
            error_message=type(exc).__name__,
        )
