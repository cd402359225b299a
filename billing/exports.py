"""The billing app's section of `GET /privacy/export` (security.exports): the owner's usage."""

from billing.models import LedgerEntry


def ledger_export_list(owner) -> list[dict]:
    """The owner's ledger rows, costs in USD."""
    rows = LedgerEntry.objects.filter(owner=owner).order_by("created_at", "pk")
    return [
        {
            "created_at": row.created_at,
            "day": row.day,
            "agent_id": row.agent_id,
            "step": row.step,
            "model": row.model,
            "provider": row.provider,
            "input_tokens": row.input_tokens,
            "output_tokens": row.output_tokens,
            "cost": row.cost,
            "simulated": row.simulated,
        }
        for row in rows.iterator()
    ]
