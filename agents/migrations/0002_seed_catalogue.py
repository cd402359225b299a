from decimal import Decimal

from django.db import migrations

PROVIDERS = [
    # id, adapter, env name, default base URL, hourly limit, breaker threshold, breaker seconds
    ("anthropic", "anthropic", "ANTHROPIC", "https://api.anthropic.com", 50, 3, 90),
    ("kimi-coding", "openai", "KIMI", "https://api.moonshot.ai/v1", 100, 5, 60),
    ("minimax-portal", "openai", "MINIMAX", "https://api.minimax.io/v1", 100, 5, 60),
    ("openai-codex", "openai", "OPENAI", "https://api.openai.com/v1", 20, 5, 60),
]

MODELS = [
    # alias, provider, upstream, input, output, blended (USD per 1K tokens), fallback
    ("k2p5", "kimi-coding", "kimi-k2.5", "0.0005", "0.0015", "0.001", "minimax-m2.5"),
    ("sonnet", "anthropic", "claude-sonnet-4-6", "0.003", "0.015", "0.003", "k2p5"),
    ("opus", "anthropic", "claude-opus-4-6", "0.015", "0.075", "0.015", "sonnet"),
    ("minimax-m2.5", "minimax-portal", "MiniMax-M2.5", "0.0001", "0.0001", "0.001", "codex"),
    ("codex", "openai-codex", "gpt-5-codex", "0.002", "0.006", "0.002", "sonnet"),
]

TEAMS = [
    ("team_coding", "Coding", ["k2p5", "sonnet"]),
    ("team_creative", "Creative", ["opus", "k2p5"]),
    ("team_research", "Research", ["sonnet", "k2p5"]),
    ("team_business", "Business", ["opus", "sonnet"]),
]


def seed(apps, schema_editor):
    Provider = apps.get_model("agents", "Provider")
    ModelAlias = apps.get_model("agents", "ModelAlias")
    Team = apps.get_model("agents", "Team")
    for position, (pid, adapter, env, url, limit, threshold, seconds) in enumerate(PROVIDERS):
        Provider.objects.update_or_create(
            id=pid,
            defaults={
                "adapter": adapter,
                "env_name": env,
                "base_url": url,
                "hourly_limit": limit,
                "breaker_failure_threshold": threshold,
                "breaker_open_seconds": seconds,
                "position": position,
            },
        )
    for position, (alias, provider, upstream, i, o, b, _) in enumerate(MODELS):
        ModelAlias.objects.update_or_create(
            alias=alias,
            defaults={
                "provider_id": provider,
                "upstream_model": upstream,
                "input_rate": Decimal(i),
                "output_rate": Decimal(o),
                "blended_rate": Decimal(b),
                "default_max_tokens": 4096,
                "position": position,
            },
        )
    for alias, *_, fallback in MODELS:
        ModelAlias.objects.filter(alias=alias).update(fallback_id=fallback)
    for tid, name, members in TEAMS:
        Team.objects.update_or_create(id=tid, defaults={"name": name, "members": members})


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
