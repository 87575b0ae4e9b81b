"""The JSON API under /api/ (docs/api.md): typed endpoints over the chat's services."""
