import assert from "node:assert/strict";
import type { AckFrame, ErrorFrame } from "../../shared/protocol/frames.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { api, Reader } from "./support.ts";

/** Issue #19 item 5: edits, deletes and reactions as events in the channel's own sequence. */
Deno.test("message events: authorized before the ack, replayed exactly once in seq order, history current", async (t) => {
  const system = await startDistributed({ consumers: 2 });
  const [c0, c1] = system.consumerUrls;
  const sockets: { close(): unknown }[] = [];
  try {
    const [ada, bob, eve] = await Promise.all(
      [1, 2, 3].map(() => registerAndLogin(system.authUrl)),
    );
    assert.equal(
      (await api(c0, ada.token, "POST", "/v1/channels", { id: "team", kind: "private" })).status,
      201,
    );
    await api(c0, ada.token, "POST", "/v1/channels/team/members", { userId: bob.userId });
    const producer = async (token: string) => {
      const client = await WsClient.connect(wsUrl(system.producerUrl), token);
      sockets.push({ close: () => client.socket.close() });
      let n = 0;
      return (frame: Record<string, unknown>) =>
        client.request<AckFrame | ErrorFrame>({
          id: `r${++n}`,
          type: "publish",
          channel: "team",
          clientMsgId: crypto.randomUUID(),
          body: "",
          ...frame,
        });
    };
    const [asAda, asBob, asEve] = await Promise.all([ada, bob, eve].map((u) => producer(u.token)));
    const acked = async (reply: Promise<AckFrame | ErrorFrame>) => {
      const r = await reply;
      assert.equal(r.type, "ack", JSON.stringify(r));
      return r as AckFrame;
    };
    const refused = async (reply: Promise<AckFrame | ErrorFrame>, code: string) => {
      const r = await reply;
      assert.equal(r.type, "error", JSON.stringify(r));
      assert.equal((r as ErrorFrame).code, code, JSON.stringify(r));
    };

    // Seqs 1–3: ada, bob, ada. A live reader on another instance follows from the start.
    const live = await Reader.open(wsUrl(c1), bob.token, ["team"]);
    sockets.push(live);
    await acked(asAda({ body: "ada one" }));
    await acked(asBob({ body: "bob two" }));
    await acked(asAda({ body: "ada three" }));
    await live.waitFor({ team: 3 });

    await t.step("only the author edits, the author or the owner deletes: FORBIDDEN", async () => {
      await refused(asBob({ kind: "edit", target: 1, body: "bob was here" }), "FORBIDDEN");
      await refused(asBob({ kind: "delete", target: 3 }), "FORBIDDEN");
    });

    await t.step("a non-member cannot react; no such message is NOT_FOUND", async () => {
      await refused(asEve({ kind: "react", target: 1, body: "👍" }), "FORBIDDEN");
      await refused(asEve({ kind: "edit", target: 1, body: "x" }), "FORBIDDEN");
      await refused(asAda({ kind: "edit", target: 999, body: "x" }), "NOT_FOUND");
    });

    await t.step("a bad event is INVALID before anything is looked up", async () => {
      await refused(asAda({ kind: "delete", target: 1, body: "not empty" }), "INVALID");
      await refused(asAda({ kind: "react", target: 1, body: "two words" }), "INVALID");
      await refused(asAda({ kind: "edit", body: "no target" }), "INVALID");
      await refused(asAda({ kind: "edit", target: 1, body: "" }), "INVALID");
      await refused(asAda({ target: 1, body: "a target without a kind" }), "INVALID");
    });

    const since = 3;
    const editId = "edit-1";
    await t.step("events are acked and take the next seqs; a retry gets the same ack", async () => {
      const edit = await acked(
        asAda({ kind: "edit", target: 1, body: "ada one, edited", clientMsgId: editId }),
      ); // 4
      const retry = await acked(
        asAda({ kind: "edit", target: 1, body: "ada one, edited", clientMsgId: editId }),
      );
      assert.equal(retry.streamSeq, edit.streamSeq);
      await acked(asBob({ kind: "react", target: 1, body: "👍" })); // 5
      await acked(asAda({ kind: "react", target: 1, body: "👍" })); // 6
      await acked(asAda({ kind: "delete", target: 2 })); // 7: the owner deletes bob's
      await acked(asBob({ kind: "unreact", target: 1, body: "👍" })); // 8
      await acked(asAda({ body: "ada four" })); // 9
      // A message of its own is an event's target no more than another event is.
      await live.waitFor({ team: 9 });
      await refused(asAda({ kind: "edit", target: 4, body: "x" }), "NOT_FOUND");
      // A tombstone takes no edit or reaction, but deleting it again is no error.
      await refused(asBob({ kind: "edit", target: 2, body: "x" }), "NOT_FOUND");
      await refused(asAda({ kind: "react", target: 2, body: "👍" }), "NOT_FOUND");
      await acked(asBob({ kind: "delete", target: 2 })); // 10
      await live.waitFor({ team: 10 });
      assert.deepEqual(live.violations, []);
      const kinds = live.messages.get("team")!.map((m) => [m.seq, m.kind ?? "message", m.target]);
      assert.deepEqual(kinds.slice(3), [
        [4, "edit", 1],
        [5, "react", 1],
        [6, "react", 1],
        [7, "delete", 2],
        [8, "unreact", 1],
        [9, "message", undefined],
        [10, "delete", 2],
      ]);
    });

    await t.step(
      "recovery from before the events replays each exactly once, in seq order",
      async () => {
        // On the other instance too: both read the one sequence from PostgreSQL.
        for (const url of [c0, c1]) {
          const reader = await Reader.open(wsUrl(url), bob.token, ["team"], { team: since });
          sockets.push(reader);
          await reader.waitFor({ team: 10 });
          assert.deepEqual(reader.violations, []);
          const seqs = reader.messages.get("team")!.map((m) => m.seq);
          assert.deepEqual(seqs, [4, 5, 6, 7, 8, 9, 10]);
          const edit = reader.messages.get("team")![0];
          assert.deepEqual([edit.kind, edit.target, edit.body], ["edit", 1, "ada one, edited"]);
        }
      },
    );

    await t.step("history is the current state: edited mark, tombstone, who reacted", async () => {
      const page = await api(c1, bob.token, "GET", "/v1/channels/team/messages?limit=10");
      assert.equal(page.status, 200);
      assert.equal(page.body.lastSeq, 10);
      const bySeq = new Map(
        page.body.messages.map((m: { seq: number }) => [m.seq, m]),
      ) as Map<number, Record<string, unknown>>;
      assert.deepEqual([...bySeq.keys()], [1, 2, 3, 9], "events are folded in, not listed");
      assert.equal(bySeq.get(1)!.body, "ada one, edited");
      assert.ok(bySeq.get(1)!.editedAt);
      assert.deepEqual(bySeq.get(1)!.reactions, [{ emoji: "👍", count: 1, users: [ada.userId] }]);
      assert.equal(bySeq.get(2)!.deleted, true);
      assert.equal(bySeq.get(2)!.body, "");
      assert.equal(bySeq.get(3)!.editedAt, undefined);
    });

    await t.step(
      "unread counts ordinary messages after the marker: events are no news",
      async () => {
        const unreadOf = async () =>
          (await api(c0, bob.token, "GET", "/v1/channels")).body.channels.find((
            c: { id: string },
          ) => c.id === "team");
        // Seqs 4–8 and 10 are events; 9 is the one message after seq 3 (a tombstone still counts).
        const read = await api(c1, bob.token, "POST", "/v1/channels/team/read", { seq: 3 });
        assert.deepEqual(read.body, { channel: "team", lastReadSeq: 3, unread: 1 });
        assert.deepEqual([(await unreadOf()).lastSeq, (await unreadOf()).unread], [10, 1]);
        const caughtUp = await api(c1, bob.token, "POST", "/v1/channels/team/read", { seq: 9 });
        assert.equal(caughtUp.body.unread, 0, "a delete after the marker is not unread");
        // A reaction to an old message leaves the channel read.
        await acked(asAda({ kind: "react", target: 3, body: "🎉" })); // 11
        await live.waitFor({ team: 11 });
        assert.deepEqual([(await unreadOf()).lastSeq, (await unreadOf()).unread], [11, 0]);
        await acked(asAda({ body: "ada five" })); // 12
        await live.waitFor({ team: 12 });
        assert.equal((await unreadOf()).unread, 1);
      },
    );

    await t.step("over HTTP the same rules answer with their status", async () => {
      const edit = (token: string, clientMsgId: string, target: number, body: string) =>
        api(system.producerUrl, token, "POST", "/v1/channels/team/messages", {
          clientMsgId,
          body,
          kind: "edit",
          target,
        });
      const forbidden = await edit(bob.token, "http-1", 3, "x");
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.error.code, "FORBIDDEN");
      assert.equal((await edit(ada.token, "http-2", 500, "x")).status, 404);
      const own = await edit(ada.token, "http-3", 3, "ada three, edited");
      assert.equal(own.status, 202, JSON.stringify(own.body));
    });
  } finally {
    for (const s of sockets) await s.close();
    await system.stop();
  }
});
