// The page's words: from Django's JavaScript catalog when the page has loaded it (it
// sets globalThis.django), as written (English) when it hasn't.

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import { lengthNote } from "../../static/chat/room/composer.js";
import { interpolate } from "../../static/chat/room/i18n.js";
import { typingText } from "../../static/chat/room/people.js";
import { roomLabel } from "../../static/chat/room/rooms.js";
import { connectionStatus, Phase } from "../../static/chat/room/state.js";

// A catalog as /jsi18n/ makes one: German, two plural forms.
function germanCatalog() {
  const words = {
    Connected: "Verbunden",
    "%s is typing…": "%s schreibt…",
    "%s person is typing…": ["%s Person schreibt…", "%s Personen schreiben…"],
    "%s left": ["noch %s Zeichen", "noch %s Zeichen"],
    "%s unread": ["%s ungelesen", "%s ungelesen"],
    "%s mention": ["%s Erwähnung", "%s Erwähnungen"],
    "between parts of a label\u0004, ": ", ",
  };
  const plural = (n) => (n === 1 ? 0 : 1);
  return {
    gettext: (msgid) => words[msgid] ?? msgid,
    ngettext: (singular, pluralForm, n) => {
      const forms = words[singular];
      return forms ? forms[plural(n)] : n === 1 ? singular : pluralForm;
    },
    pgettext: (context, msgid) => words[context + "\u0004" + msgid] ?? msgid,
  };
}

describe("the page's words", () => {
  afterEach(() => {
    delete globalThis.django;
  });

  it("stay as written without a catalog", () => {
    assert.equal(typingText(["Alice"]), "Alice is typing…");
    assert.equal(connectionStatus(Phase.LIVE, null).text, "Connected");
    const label = roomLabel({ title: "design", unread: 3, mentions: 2 });
    assert.equal(label, "design, 3 unread, 2 mentions");
  });

  it("come from the catalog once the page has one", () => {
    globalThis.django = germanCatalog();
    assert.equal(typingText(["Alice"]), "Alice schreibt…");
    assert.equal(connectionStatus(Phase.LIVE, null).text, "Verbunden");
  });

  it("take the catalog's plural form for the count", () => {
    globalThis.django = germanCatalog();
    assert.equal(typingText(["A", "B", "C"]), "3 Personen schreiben…");
    assert.equal(lengthNote(3999, 4000).text, "noch 1 Zeichen");
    const label = roomLabel({ title: "design", unread: 3, mentions: 1 });
    assert.equal(label, "design, 3 ungelesen, 1 Erwähnung");
  });
});

describe("interpolate", () => {
  it("fills %s in order and %(name)s by name, once", () => {
    assert.equal(interpolate("%s of %s", [1, 3]), "1 of 3");
    const named = interpolate("%(who)s wrote %(what)s", { who: "%(what)s", what: "hi" }, true);
    assert.equal(named, "%(what)s wrote hi");
  });
});
