"""Webhooks: endpoints, deliveries read from the event outbox, attempts, the delivery log.

Pure building blocks (no Django): `ssrf` (the guard), `http` (the pinned POST), `signing`
(Standard Webhooks), `schedule` (retries), `payload` (the body). The app around them: `models`,
`services/` (endpoints, outbox, attempts, the sending loop), `selectors`, `tasks`, `api/`.
"""
