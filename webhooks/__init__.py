"""Webhook delivery: SSRF guard, pinned HTTP call, Standard Webhooks signing, retry schedule."""
