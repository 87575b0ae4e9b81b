"""Attachments in real tabs: an image pasted in one tab shows as a thumbnail in the
other and opens full size; a file picked with the Attach button is a download; someone
who may not read the room gets 403 for a file's address."""

import io

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from e2e.pages import TeamRoomPage, sign_up

ALICE, BOB, CAROL = "alice-at", "bob-at", "carol-at"
ROOM = "files-at"

PASTE = """([name, bytes]) => {
  const file = new File([new Uint8Array(bytes)], name, { type: "image/png" });
  const data = new DataTransfer();
  data.items.add(file);
  document.getElementById("chat-message-input").dispatchEvent(
    new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
  );
}"""


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 120, 60)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    """Alice's private room with Bob in it; Carol signed up but not a member."""
    contexts = [browser.new_context(base_url=base_url) for _ in range(3)]
    names = (ALICE, BOB, CAROL)
    pages = [sign_up(context, name) for context, name in zip(contexts, names, strict=True)]
    alice = TeamRoomPage(pages[0]).open("lobby-at")  # the sidebar makes rooms
    alice.create_room(ROOM, private=True)
    alice.page.fill("#add-member-username", BOB)
    alice.page.click("#add-member-submit")
    expect(alice.members.filter(has_text=BOB)).to_have_count(1)
    yield alice, TeamRoomPage(pages[1]).open(ROOM), pages[2]
    for context in contexts:
        context.close()


def test_a_pasted_image_shows_as_a_thumbnail_in_the_other_tab(people):
    alice, bob, carol = people
    alice.page.evaluate(PASTE, ["screenshot.png", list(_png())])
    expect(alice.page.locator("#chat-attachments li")).to_contain_text("screenshot.png")
    expect(alice.page.locator("#chat-attachments li.uploading")).to_have_count(0)
    alice.input.fill("the new layout")
    alice.input.press("Enter")
    thumbnail = bob.message("the new layout").get_by_role("img", name="screenshot.png")
    expect(thumbnail).to_be_visible()
    bob.page.wait_for_function(  # it loaded: an image the browser could decode
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    link = bob.message("the new layout").get_by_role("link", name="Open screenshot.png full size")
    with bob.page.context.expect_page() as opened:
        link.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("document.contentType") == "image/png"
    full.close()

    url = link.get_attribute("href")
    refused = carol.request.get(url)
    assert refused.status == 403
    assert bob.page.request.get(url).status == 200


def test_a_file_from_the_attach_button_is_a_download_link(people):
    alice, bob, _ = people
    alice.page.set_input_files(
        "#chat-file-input",
        files=[{"name": "notes.html", "mimeType": "text/html", "buffer": b"<script>x</script>"}],
    )
    expect(alice.page.locator("#chat-attachments li")).to_contain_text("notes.html (18 B)")
    alice.input.press("Enter")  # files alone, no text
    link = bob.page.locator("#chat-log .attachment a", has_text="notes.html")
    expect(link).to_have_attribute("download", "notes.html")
    with bob.page.expect_download() as downloaded:
        link.click()
    assert downloaded.value.suggested_filename == "notes.html"


DROP = """([name, text]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, { type: "text/plain" }));
  const zone = document.getElementById("conversation");
  for (const type of ["dragover", "drop"]) {
    const init = { dataTransfer: data, bubbles: true, cancelable: true };
    zone.dispatchEvent(new DragEvent(type, init));
  }
}"""


def test_a_file_dropped_on_the_conversation_is_sent_with_the_next_message(people):
    alice, bob, _ = people
    alice.page.evaluate(DROP, ["minutes.txt", "we agreed on everything"])
    expect(alice.page.locator("#chat-attachments li")).to_contain_text("minutes.txt (23 B)")
    alice.send("the minutes")
    expect(bob.message("the minutes").locator(".attachment a")).to_contain_text("minutes.txt")
    expect(alice.page.locator("#chat-attachments")).to_be_hidden()
