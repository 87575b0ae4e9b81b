"""devtools.i18n_js: strings people read in page scripts that aren't marked."""

from pathlib import Path

import pytest

from devtools.i18n_js import unmarked_js_strings

PAGE_SCRIPTS = Path(__file__).resolve().parents[2] / "chat" / "static" / "chat"


@pytest.fixture
def found(tmp_path):
    """The unmarked strings of a script with this text: [(line, text)]."""

    def check(source: str) -> list[tuple[int, str]]:
        script = tmp_path / "page.js"
        script.write_text(source, encoding="utf-8")
        return [(line, text) for _, line, text in unmarked_js_strings([script])]

    return check


def test_a_text_assigned_to_an_element_is_found_with_its_file_and_line(tmp_path):
    script = tmp_path / "page.js"
    script.write_text('const a = 1;\nstatus.textContent = "Connected";\n', encoding="utf-8")
    assert unmarked_js_strings([script]) == [(str(script), 2, "Connected")]


def test_a_marked_text_is_not_found(found):
    assert found('status.textContent = gettext("Connected");') == []
    assert found('line.textContent = interpolate(ngettext("%s file", "%s files", n), [n]);') == []
    assert found('name.title = pgettext("verb", "Message");') == []


def test_every_text_of_a_conditional_value_is_found(found):
    assert found('follow.textContent = following ? "Unfollow" : "Follow";') == [
        (1, "Follow"),
        (1, "Unfollow"),
    ]


def test_a_text_joined_to_a_variable_is_found(found):
    assert found('hint.title = "Remove " + name;') == [(1, "Remove ")]


def test_text_attributes_are_found_and_others_not(found):
    source = (
        'button.setAttribute("aria-label", "Pick a reaction");\n'
        'button.setAttribute("aria-haspopup", "menu");\n'
        'button.setAttribute("role", "menuitem");\n'
    )
    assert found(source) == [(1, "Pick a reaction")]


def test_text_properties_of_an_object_are_found(found):
    source = 'return { text: "over the limit", over: true, kind: "counter" };'
    assert found(source) == [(1, "over the limit")]


def test_what_alert_and_confirm_ask_is_found(found):
    assert found('if (window.confirm("Delete it?")) remove();') == [(1, "Delete it?")]
    assert found('alert("Saved");') == [(1, "Saved")]


def test_an_element_helpers_text_is_found_and_its_tag_and_class_not(found):
    source = (
        'el("span", "badge", "guest");\n'
        'el(doc, "span", "badge", "owner");\n'
        'el(doc, "li", "kept-item");\n'
        'el("li", "message");\n'
    )
    assert found(source) == [(1, "guest"), (2, "owner")]


def test_an_error_line_given_a_text_is_found(found):
    assert found('showError("This room can\'t be joined.");') == [(1, "This room can't be joined.")]


def test_a_template_literal_with_words_is_found(found):
    assert found("count.textContent = `${n} unread`;") == [(1, " unread")]
    assert found("count.textContent = gettext(`${n} unread`);") == []


def test_machine_strings_in_a_shown_value_are_not_found(found):
    source = (
        'link.textContent = kind === "dm" ? gettext("(direct message)") : "";\n'
        'time.textContent = when.toLocaleTimeString([], { hour: "2-digit" });\n'
        'badge.textContent = "@" + count;\n'
        'status.textContent = text + "\\u00a0";\n'
    )
    assert found(source) == []


def test_strings_outside_shown_places_are_not_found(found):
    source = (
        'const url = "/api/rooms/" + name;\n'
        'socket.send({ type: "typing" });\n'
        'doc.getElementById("chat-log");\n'
    )
    assert found(source) == []


def test_regular_expressions_and_comments_do_not_hide_what_follows(found):
    source = (
        "// a comment with a quote: don't\n"
        'const line = text.split(/\\s+/).join(" "); /* it\'s "here" */\n'
        'title.textContent = /^https?:\\/\\//.test(url) ? url : "No link";\n'
    )
    assert found(source) == [(3, "No link")]


def test_a_folder_is_searched_for_scripts(tmp_path):
    (tmp_path / "room").mkdir()
    (tmp_path / "room" / "page.js").write_text('x.title = "Hello";', encoding="utf-8")
    (tmp_path / "room" / "notes.txt").write_text('x.title = "Hello";', encoding="utf-8")
    assert unmarked_js_strings([tmp_path]) == [(str(tmp_path / "room" / "page.js"), 1, "Hello")]


def test_the_page_scripts_have_every_string_people_read_marked():
    assert unmarked_js_strings([PAGE_SCRIPTS]) == []
