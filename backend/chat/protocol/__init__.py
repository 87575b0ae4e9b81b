"""The chat's wire protocol: frames clients send (``frames``), events the server
sends (``events``) and close codes (``close_codes``). docs/protocol.md documents
every one."""

from chat.protocol.close_codes import FINAL, CloseCode

__all__ = ["FINAL", "CloseCode"]
