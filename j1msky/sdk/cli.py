"""`j1msky`: the command-line client (`python -m j1msky.sdk.cli` in a checkout).

Results go to stdout (`--format table` for people, `--format json` for scripts); errors and the
progress of a wait go to stderr. The exit status says what happened (EXIT_CODES).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from .client import Agency
from .errors import (
    AgentFailedError,
    APIConnectionError,
    APIError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WaitTimeoutError,
)
from .output import Progress, key_value_table, rows_table, to_json
from .version import __version__

EXIT_OK = 0
EXIT_ERROR = 1  # any other error answer (409, 405, 410, …)
EXIT_USAGE = 2  # bad arguments, or the server refused the input (400)
EXIT_AUTH = 3  # 401 or 403: the key is wrong, lacks a scope, or the IP is refused
EXIT_NOT_FOUND = 4  # 404
EXIT_LIMITED = 5  # 429 rate or concurrency limit, or 402 budget exceeded
EXIT_AGENT_FAILED = 6  # the awaited agent ended failed or cancelled
EXIT_WAIT_TIMEOUT = 7  # the agent had not finished when the wait ended
EXIT_UNAVAILABLE = 8  # the server could not be reached, or failed (5xx)
EXIT_INTERRUPTED = 130

EXIT_CODES = f"""exit status:
  {EXIT_OK}  success
  {EXIT_ERROR}  any other error the server answered (409 conflict, …)
  {EXIT_USAGE}  bad arguments, or the server refused the input (400)
  {EXIT_AUTH}  authentication or permission refused (401, 403)
  {EXIT_NOT_FOUND}  not found (404)
  {EXIT_LIMITED}  a rate, concurrency or budget limit refused it (429, 402)
  {EXIT_AGENT_FAILED}  the awaited agent ended failed or cancelled
  {EXIT_WAIT_TIMEOUT}  the wait ended before the agent finished (it keeps running)
  {EXIT_UNAVAILABLE}  the server could not be reached or failed (5xx)

environment: J1MSKY_API_KEY, J1MSKY_BASE_URL (default http://localhost:8080),
J1MSKY_SIGNING_SECRET (sign every request)"""

AGENT_COLUMNS = ("agent_id", "status", "model", "team", "priority", "created_at", "actual_cost")


def exit_code_for(error: Exception) -> int:
    if isinstance(error, AgentFailedError):
        return EXIT_AGENT_FAILED
    if isinstance(error, WaitTimeoutError):
        return EXIT_WAIT_TIMEOUT
    if isinstance(error, (APIConnectionError, ServerError)):
        return EXIT_UNAVAILABLE
    if isinstance(error, (AuthenticationError, PermissionDeniedError, ConfigurationError)):
        return EXIT_AUTH
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, (RateLimitError, BudgetExceededError)):
        return EXIT_LIMITED
    if isinstance(error, ValidationError):
        return EXIT_USAGE
    return EXIT_ERROR


# --- arguments --------------------------------------------------------------------------------


def _spawn_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, help="the task text; '-' reads it from stdin")
    parser.add_argument("--priority", choices=("low", "normal", "high"))
    parser.add_argument("--timeout", type=int, help="the agent's own timeout in seconds")
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--metadata", type=json.loads, help="a JSON object")
    parser.add_argument("--no-fallback", action="store_true", help="refuse rather than fall back")
    _wait_options(parser, flag=True)


def _wait_options(parser: argparse.ArgumentParser, *, flag: bool) -> None:
    if flag:
        parser.add_argument("--wait", action="store_true", help="wait for the result and print it")
    parser.add_argument(
        "--wait-timeout", type=float, default=600.0, help="seconds to wait (default 600)"
    )
    parser.add_argument("--poll-interval", type=float, help="seconds between polls")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="j1msky",
        description="Command-line client of a J1MSKY server.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"j1msky {__version__}")
    parser.add_argument("--api-key", help="default: $J1MSKY_API_KEY")
    parser.add_argument("--base-url", help="default: $J1MSKY_BASE_URL or http://localhost:8080")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    agent = commands.add_parser("agent", help="spawn, inspect, wait for and cancel agents")
    actions = agent.add_subparsers(dest="action", required=True, metavar="ACTION")
    spawn = actions.add_parser("spawn", help="spawn one agent")
    spawn.add_argument("--model", help="k2p5 (server default), sonnet, opus, …")
    _spawn_options(spawn)
    for name, text in (("status", "show one agent"), ("cancel", "cancel an agent")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("agent_id")
    wait = actions.add_parser("wait", help="wait for an agent to finish and print its result")
    wait.add_argument("agent_id")
    _wait_options(wait, flag=False)
    listing = actions.add_parser("list", help="list agents, newest first")
    for name in ("status", "model", "team"):
        listing.add_argument(f"--{name}")
    listing.add_argument("--sort", default="-created_at")
    listing.add_argument("--filter", type=json.loads, help='JSON, e.g. {"cost_gt": 0.5}')
    listing.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    listing.add_argument("--all", action="store_true", help="every matching agent")

    team = commands.add_parser("team", help="deploy a team of models on one task")
    team_actions = team.add_subparsers(dest="action", required=True, metavar="ACTION")
    deploy = team_actions.add_parser("deploy", help="deploy a team")
    deploy.add_argument("--team", required=True, help="team_coding, team_creative, …")
    _spawn_options(deploy)

    pricing = commands.add_parser("pricing", help="pricing calculators")
    pricing_actions = pricing.add_subparsers(dest="action", required=True, metavar="ACTION")
    quote = pricing_actions.add_parser("quote", help="price a task for a customer segment")
    quote.add_argument("--model", required=True)
    quote.add_argument("--input", type=int, dest="estimated_input", help="input tokens")
    quote.add_argument("--output", type=int, dest="estimated_output", help="output tokens")
    quote.add_argument("--tokens", type=int, dest="estimated_tokens", help="one token count")
    quote.add_argument("--complexity", choices=("low", "medium", "high"))
    quote.add_argument("--segment", choices=("enterprise", "mid_market", "smb", "startup"))
    quote.add_argument("--delivery-type", choices=("task", "subscription", "enterprise"))

    commands.add_parser("status", help="orchestrator status: budget, providers, model mix")
    commands.add_parser("limits", help="provider rate-limit windows")
    usage = commands.add_parser("usage", help="spend by model and day")
    usage.add_argument("--start", help="YYYY-MM-DD (default: first of the month)")
    usage.add_argument("--end", help="YYYY-MM-DD (default: today)")
    return parser


# --- commands ---------------------------------------------------------------------------------


class Command:
    def __init__(self, args: argparse.Namespace, agency: Agency, out: TextIO, err: TextIO):
        self.args, self.agency, self.out, self.err = args, agency, out, err

    def emit(self, value: Any, table: str | None = None) -> None:
        text = to_json(value) if self.args.format == "json" else table
        if text is None:
            text = key_value_table(value) if isinstance(value, dict) else str(value)
        self.out.write(text.rstrip("\n") + "\n")

    def task_text(self) -> str:
        return sys.stdin.read() if self.args.task == "-" else self.args.task

    def spawn_fields(self) -> dict[str, Any]:
        a = self.args
        return {
            "priority": a.priority,
            "timeout": a.timeout,
            "max_tokens": a.max_tokens,
            "metadata": a.metadata,
            "fallback": False if a.no_fallback else None,
        }

    def finish_spawn(self, agent) -> int:
        if self.args.wait:
            return self.wait(agent)
        self.emit(agent.data)
        return EXIT_OK

    def wait(self, agent) -> int:
        progress = Progress(self.err, enabled=not self.args.quiet)
        try:
            result = agent.wait_for_completion(
                timeout=self.args.wait_timeout,
                poll_interval=self.args.poll_interval,
                on_progress=progress,
                raise_on_failure=False,
            )
        finally:
            progress.finish()
        if self.args.format == "json":
            self.emit(result.data)
        else:
            if result.output:
                self.out.write(result.output.rstrip("\n") + "\n")
            label = " (simulated)" if result.simulated else ""
            cost = "-" if result.cost is None else f"${result.cost}"
            self.err.write(f"{result.agent_id} {result.status} · {result.model} · {cost}{label}\n")
            if result.error:
                self.err.write(f"error: {result.error.get('message') or result.error}\n")
        return EXIT_OK if result.succeeded else EXIT_AGENT_FAILED

    def agent_spawn(self) -> int:
        agent = self.agency.spawn(self.args.model, self.task_text(), **self.spawn_fields())
        return self.finish_spawn(agent)

    def team_deploy(self) -> int:
        agent = self.agency.spawn_team(self.args.team, self.task_text(), **self.spawn_fields())
        return self.finish_spawn(agent)

    def agent_status(self) -> int:
        self.emit(self.agency.get(self.args.agent_id).data)
        return EXIT_OK

    def agent_wait(self) -> int:
        return self.wait(self.agency.get(self.args.agent_id))

    def agent_cancel(self) -> int:
        self.emit(self.agency.cancel(self.args.agent_id))
        return EXIT_OK

    def agent_list(self) -> int:
        a = self.args
        filters = {"status": a.status, "model": a.model, "team": a.team, "sort": a.sort}
        rows = []
        for row in self.agency.list(filter=a.filter, page_size=100, **filters):
            rows.append(row)
            if not a.all and len(rows) >= a.limit:
                break
        self.emit(rows, rows_table(rows, AGENT_COLUMNS))
        return EXIT_OK

    def pricing_quote(self) -> int:
        a = self.args
        answer = self.agency.pricing.quote(
            a.model,
            a.estimated_input,
            a.estimated_output,
            a.complexity,
            a.delivery_type,
            a.segment,
            estimated_tokens=a.estimated_tokens,
        )
        self.emit(answer)
        return EXIT_OK

    def status(self) -> int:
        self.emit(self.agency.status())
        return EXIT_OK

    def limits(self) -> int:
        limits = self.agency.rate_limits()
        rows = [{"provider": name, **window} for name, window in limits["limits"].items()]
        self.emit(limits, rows_table(rows))
        return EXIT_OK

    def usage(self) -> int:
        self.emit(self.agency.usage(self.args.start, self.args.end))
        return EXIT_OK


def report_error(error: Exception, args: argparse.Namespace | None, err: TextIO) -> None:
    if args is not None and args.format == "json" and isinstance(error, APIError):
        body = error.body if isinstance(error.body, dict) else None
        err.write(to_json(body or {"success": False, "error": {"message": str(error)}}) + "\n")
        return
    if isinstance(error, AgentFailedError):
        err.write(f"j1msky: {error}\n")
        return
    err.write(f"j1msky: error: {error}\n")


def main(argv: list[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None):
    """Run one command; returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    name = args.command if args.command not in ("agent", "team", "pricing") else None
    handler = name or f"{args.command}_{args.action}"
    try:
        agency = Agency(api_key=args.api_key, base_url=args.base_url)
        with agency:
            return getattr(Command(args, agency, out, err), handler)()
    except KeyboardInterrupt:
        err.write("\ninterrupted\n")
        return EXIT_INTERRUPTED
    except (APIError, APIConnectionError, ConfigurationError, WaitTimeoutError) as exc:
        report_error(exc, args, err)
        return exit_code_for(exc)


def run() -> None:
    """The `j1msky` console script."""
    sys.exit(main())


if __name__ == "__main__":
    run()
