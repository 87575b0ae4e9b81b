"""Messages people expect: several lines, safe formatting and links, a counter near the
limit, and edits that show live in every tab."""

import pytest
from playwright.sync_api import Browser, expect

from e2e.pages import RoomPage, guest_browsers


@pytest.fixture(scope="module")
def writer_and_reader(browser: Browser, base_url: str):
    """Two guests in browsers of their own, named once for the module."""
    with guest_browsers(browser, base_url, ("Writer", "Reader")) as contexts:
        yield contexts


def _both_in(writer_and_reader, room: str) -> tuple[RoomPage, RoomPage]:
    writer, reader = writer_and_reader
    return RoomPage(writer.new_page()).open(room), RoomPage(reader.new_page()).open(room)


def test_shift_enter_adds_a_line_and_enter_sends_both(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "lines")
    writer.input.press_sequentially("first line")
    writer.input.press("Shift+Enter")
    writer.input.press_sequentially("second line")
    expect(writer.input).to_have_value("first line\nsecond line")
    writer.input.press("Enter")
    body = reader.message("first line").locator(".message-body")
    expect(body).to_have_text("first line\nsecond line")
    expect(body.locator("br")).to_have_count(1)
    expect(writer.input).to_have_value("")


def test_a_link_is_clickable_and_opens_safely_in_a_new_tab(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "links")
    writer.send("docs at https://example.org/guide and **bold** words")
    link = reader.message("docs at").get_by_role("link", name="https://example.org/guide")
    expect(link).to_have_attribute("href", "https://example.org/guide")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow ugc")
    expect(reader.message("docs at").locator("strong")).to_have_text("bold")


def test_html_and_script_links_in_a_message_stay_text(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "inert")
    reader.page.on("dialog", lambda dialog: pytest.fail(f"a message ran script: {dialog}"))
    writer.send('<img src=x onerror="alert(1)"> [click](javascript:alert(2))')
    message = reader.message("<img src=x")
    expect(message.locator(".message-body")).to_contain_text('<img src=x onerror="alert(1)">')
    expect(message.locator(".message-body img")).to_have_count(0)  # only the avatar
    expect(message.locator("img:not(.avatar)")).to_have_count(0)
    expect(message.locator("a[href^='javascript']")).to_have_count(0)


def test_a_counter_shows_near_the_limit_and_a_long_text_is_not_cut(writer_and_reader):
    writer, _ = _both_in(writer_and_reader, "counter")
    expect(writer.page.locator("#chat-counter")).to_be_hidden()
    writer.input.fill("x" * 3990)
    expect(writer.page.locator("#chat-counter")).to_have_text("10 left")
    writer.input.fill("x" * 4005)
    expect(writer.page.locator("#chat-counter")).to_have_text("5 over the limit")
    expect(writer.input).to_have_value("x" * 4005)  # nothing cut off
    expect(writer.submit).to_be_disabled()
    writer.input.press("Enter")
    expect(writer.error).to_contain_text("4,005 characters; the limit is 4,000")
    expect(writer.pending).to_have_count(0)
    expect(writer.input).to_have_value("x" * 4005)


def test_an_edit_shows_live_in_the_other_tab_with_edited(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "edits")
    writer.send("teh plan")
    reader.expect_delivered("teh plan")
    writer.act("teh plan", "Edit this message")
    expect(writer.input).to_have_value("teh plan")
    expect(writer.submit).to_have_text("Save")
    writer.input.fill("the plan")
    writer.input.press("Enter")
    reader.expect_delivered("the plan")
    expect(reader.message("the plan").locator(".message-edited")).to_have_text("(edited)")
    expect(writer.submit).to_have_text("Send")
    reader.reload()
    reader.expect_delivered("the plan")  # history carries the latest text
    expect(reader.message("the plan").locator(".message-edited")).to_be_visible()


def test_escape_leaves_an_edit_and_gives_back_the_draft(writer_and_reader):
    writer, _ = _both_in(writer_and_reader, "edit-cancel")
    writer.send("sent")
    writer.expect_delivered("sent")
    writer.input.fill("half a draft")
    writer.act("sent", "Edit this message")
    expect(writer.input).to_have_value("sent")
    writer.input.press("Escape")
    expect(writer.input).to_have_value("half a draft")
    expect(writer.page.locator("#chat-editing")).to_be_hidden()


def test_only_the_author_is_offered_to_edit(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "edit-own")
    writer.send("mine")
    reader.expect_delivered("mine")
    edit = "Edit this message"
    expect(writer.actions("mine").get_by_role("menuitem", name=edit)).to_be_visible()
    expect(reader.actions("mine").get_by_role("menuitem", name=edit)).to_have_count(0)


def test_a_reaction_shows_live_with_who_gave_it(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "reactions")
    writer.send("ship it?")
    reader.expect_delivered("ship it?")
    message = reader.message("ship it?")
    reader.act("ship it?", "React to this message")
    reader.page.get_by_role("searchbox", name="Search emoji").fill("party")
    reader.page.get_by_role("button", name="React with party popper").click()
    mine = message.get_by_role("button", name="🎉 1, from Reader")
    expect(mine).to_have_attribute("aria-pressed", "true")
    theirs = writer.message("ship it?").get_by_role("button", name="🎉 1, from Reader")
    expect(theirs).to_have_attribute("aria-pressed", "false")
    theirs.click()  # the writer adds theirs to it
    expect(message.get_by_role("button", name="🎉 2, from Reader and Writer")).to_be_visible()
    message.locator('.reaction[data-emoji="🎉"]').click()  # the reader takes theirs back
    expect(writer.message("ship it?").locator(".reaction")).to_have_text(["🎉 1"])


def test_a_quick_reaction_is_one_click_from_a_message(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "reactions-quick")
    writer.send("quick one")
    reader.expect_delivered("quick one")
    message = reader.message("quick one")
    quick = message.locator(".quick-reactions")
    expect(quick).to_be_hidden()
    message.hover()
    quick.get_by_role("button", name="React with 👍").click()
    expect(writer.message("quick one").locator(".reaction")).to_have_text(["👍 1"])
    # What was picked last comes first among the quick ones.
    message.hover()
    quick.get_by_role("button", name="Pick a reaction").click()
    reader.page.get_by_role("searchbox", name="Search emoji").fill("rocket")
    reader.page.get_by_role("button", name="React with rocket").click()
    writer.send("another one")
    reader.expect_delivered("quick one", "another one")
    reader.message("another one").hover()
    first = reader.message("another one").locator(".quick-reaction").first
    expect(first).to_have_text("🚀")


def test_the_message_menu_and_the_reaction_picker_work_from_the_keyboard(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "reactions-keys")
    writer.send("keyboard only")
    reader.expect_delivered("keyboard only")
    menu_button = reader.message("keyboard only").get_by_role(
        "button", name="Actions for this message"
    )
    menu_button.focus()
    reader.page.keyboard.press("Enter")
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(reader.page.get_by_role("menuitem", name="Reply to this message")).to_be_focused()
    reader.page.keyboard.press("ArrowDown")
    expect(reader.page.get_by_role("menuitem", name="Reply in a thread")).to_be_focused()
    reader.page.keyboard.press("ArrowDown")
    expect(reader.page.get_by_role("menuitem", name="React to this message")).to_be_focused()
    reader.page.keyboard.press("Enter")
    search = reader.page.get_by_role("searchbox", name="Search emoji")
    expect(search).to_be_focused()
    reader.page.keyboard.type("red heart")
    expect(reader.page.get_by_role("button", name="React with red heart")).to_be_visible()
    reader.page.keyboard.press("Enter")  # the first match
    expect(writer.message("keyboard only").locator(".reaction")).to_have_text(["❤️ 1"])
    expect(menu_button).to_be_focused()
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    reader.page.keyboard.press("ArrowUp")  # opens the menu on its last item
    expect(reader.page.get_by_role("menuitem", name="React to this message")).to_be_focused()
    reader.page.keyboard.press("Escape")
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(menu_button).to_be_focused()


def test_a_reply_quotes_its_original_and_jumps_to_it_loading_older_history(
    writer_and_reader, seed_messages
):
    seed_messages("replies", ["where do we meet?"] + [f"filler {n}" for n in range(60)])
    writer_page, reader_page = (context.new_page() for context in writer_and_reader)
    writer = RoomPage(writer_page).open("replies")
    writer.scroll_to_top()  # the original is older than what the page first shows
    writer.act("where do we meet?", "Reply to this message")
    expect(writer.page.locator("#chat-replying")).to_contain_text("Replying to seeder")
    writer.send("at the station")
    expect(writer.page.locator("#chat-replying")).to_be_hidden()

    reader = RoomPage(reader_page).open("replies")
    quote = reader.message("at the station").locator(".reply-quote")
    expect(quote).to_contain_text("seeder")
    expect(quote).to_contain_text("where do we meet?")
    original_body = reader.messages.filter(has_text="where do we meet?")
    expect(original_body).to_have_count(0)  # not loaded yet
    quote.click()
    expect(original_body).to_be_in_viewport()
    expect(reader.page.locator("#chat-log li.message:focus")).to_contain_text("where do we meet?")


def test_a_reply_to_a_deleted_message_says_so(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "reply-deleted")
    writer.send("regrettable")
    writer.act("regrettable", "Reply to this message")
    writer.send("answering myself")
    reader.expect_delivered("regrettable", "answering myself")
    writer.delete("regrettable")
    reader.expect_delivered("answering myself")
    reader.reload()
    expect(reader.message("answering myself").locator(".reply-quote")).to_contain_text(
        "message deleted"
    )


def test_one_authors_messages_in_a_row_are_grouped_under_a_day_line(writer_and_reader):
    writer, reader = _both_in(writer_and_reader, "grouping")
    writer.send("first")
    writer.send("second, a moment later")
    reader.send("an answer")
    reader.expect_delivered("first", "second, a moment later", "an answer")
    expect(reader.page.locator("#chat-log li.day-line")).to_have_text(["Today"])
    grouped = reader.page.locator("#chat-log li.message.grouped")
    expect(grouped).to_have_count(1)
    expect(grouped).to_contain_text("second, a moment later")
    # The grouped message's name is still there for screen readers.
    expect(grouped.locator(".message-author")).to_have_text("Writer")
    assert not grouped.locator(".message-author").is_visible() or (
        grouped.locator(".message-author").bounding_box()["width"] <= 1
    )
