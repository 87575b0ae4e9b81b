"""The organization that owns the chat: its people (deactivated and reactivated by its
admins) and the audit log of what admins did to them."""
