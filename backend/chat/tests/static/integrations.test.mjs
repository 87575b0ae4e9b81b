// What the Integrations dialog says of webhooks, and copying a secret shown once.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  copyValue,
  integrationUrls,
  madeText,
  outgoingEventsText,
  outgoingStateText,
} from "../../static/chat/room/integrations.js";

const day = (iso) => iso.slice(0, 10);

describe("a webhook's lines", () => {
  it("say who made it, when, and when it last posted", () => {
    const hook = { created: "2027-01-04T10:00:00Z", created_by: "alice", last_used_at: null };
    assert.equal(madeText(hook, day), "made by alice on 2027-01-04 · never used");
    hook.last_used_at = "2027-01-05T08:00:00Z";
    assert.equal(madeText(hook, day), "made by alice on 2027-01-04 · last used 2027-01-05");
  });

  it("leave out who made it when their account is gone, and use for bots", () => {
    assert.equal(madeText({ created: "2027-01-04T10:00:00Z", created_by: null }, day), "made on 2027-01-04");
  });

  it("name an outgoing webhook's events and whether it waits for @mentions", () => {
    const hook = { events: ["message", "reaction"], mentions_only: true };
    assert.equal(outgoingEventsText(hook), "New messages, Reactions · only messages that @mention it");
  });

  it("say a failing outgoing webhook is paused, since when and why", () => {
    assert.equal(outgoingStateText({ state: "active" }, day), "Active");
    const failing = { state: "failing", failing_since: "2027-01-06T00:00:00Z", last_error: "HTTP 500" };
    assert.equal(
      outgoingStateText(failing, day),
      "Failing since 2027-01-06: paused until it is resumed. Last error: HTTP 500",
    );
  });
});

describe("addresses", () => {
  it("encode the room's name", () => {
    assert.equal(integrationUrls.webhook("café au lait", 3), "/api/rooms/caf%C3%A9%20au%20lait/webhooks/3/");
    assert.equal(integrationUrls.messageIntegration("ops", 12), "/api/rooms/ops/messages/12/integration/");
  });
});

describe("copying what is shown once", () => {
  const field = () => ({ value: "https://chat.example/api/hooks/s3cret/", focus() {}, select() { this.selected = true; } });

  it("goes through the Clipboard API when there is one", async () => {
    const written = [];
    const status = { textContent: "" };
    const copied = await copyValue({}, field(), status, { writeText: async (text) => written.push(text) });
    assert.equal(copied, true);
    assert.deepEqual(written, ["https://chat.example/api/hooks/s3cret/"]);
    assert.equal(status.textContent, "Copied.");
  });

  it("falls back to the selection and the browser's copy command", async () => {
    const input = field();
    const status = { textContent: "" };
    const refused = { writeText: async () => Promise.reject(new Error("not allowed")) };
    const copied = await copyValue({ execCommand: (command) => command === "copy" }, input, status, refused);
    assert.equal(copied, true);
    assert.equal(input.selected, true);
    assert.equal(status.textContent, "Copied.");
  });

  it("leaves it selected, and says so, when nothing can copy", async () => {
    const status = { textContent: "" };
    const copied = await copyValue({ execCommand: () => false }, field(), status, undefined);
    assert.equal(copied, false);
    assert.match(status.textContent, /selected/);
  });
});
