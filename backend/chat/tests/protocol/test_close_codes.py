"""The close codes: one enum, documented in docs/protocol.md."""

import re
from pathlib import Path

from chat.protocol import FINAL, CloseCode

PROTOCOL_DOC = Path(__file__).resolve().parents[4] / "docs" / "protocol.md"


def _documented_codes() -> set[int]:
    table = PROTOCOL_DOC.read_text().split("## Close codes", 1)[1].split("\n## ", 1)[0]
    return {int(code) for code in re.findall(r"^\| (\d{4})", table, flags=re.MULTILINE)}


def test_every_close_code_the_server_sends_is_documented():
    assert {int(code) for code in CloseCode} <= _documented_codes()


def test_every_documented_close_code_is_one_the_server_sends_or_a_normal_close():
    assert _documented_codes() - {int(code) for code in CloseCode} == {1000}


def test_only_invalid_requests_refused_access_and_signing_out_are_final():
    final = {CloseCode.INVALID_ROOM, CloseCode.FORBIDDEN, CloseCode.NOT_FOUND}
    assert final | {CloseCode.SIGNED_OUT} == FINAL
