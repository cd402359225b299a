"""The operations console: admin pages that read every app (the top layer, docs/operations.md)."""
