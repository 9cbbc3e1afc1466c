import type { Message, RtmClient } from "../sdk/mod.ts";
import { byId, el, fieldsOf } from "./dom.ts";

/** Characters of a body shown in a result; the whole message is one click away. */
const SNIPPET_CHARS = 120;

/**
 * The sidebar's message search: results newest first, "More" for older ones, and a click on one
 * opens its channel at that message (`jump`).
 */
export function bindSearch(
  client: RtmClient,
  { jump, label, showError }: {
    jump: (channel: string, seq: number) => Promise<void>;
    /** How the page names a channel ("# general", "@ Ada"). */
    label: (channel: string) => string;
    showError: (err: unknown) => void;
  },
): void {
  const form = byId<HTMLFormElement>("search");
  const list = byId("search-results");
  const more = byId<HTMLButtonElement>("search-more");
  let query = "";
  let next: string | undefined;

  const item = (m: Message) =>
    el(
      "li",
      {},
      el("button", {
        class: "result",
        title: `${label(m.channel)}, message ${m.seq}`,
        text: `${label(m.channel)} · ${m.body.slice(0, SNIPPET_CHARS)}`,
        onClick: () => void jump(m.channel, m.seq),
      }),
    );

  const page = async (fresh: boolean) => {
    try {
      const found = await client.search(query, fresh ? {} : { before: next });
      next = found.next;
      more.hidden = !next;
      const items = found.results.map(item);
      if (fresh) {
        list.replaceChildren(
          ...(items.length
            ? items
            : [el("li", {}, el("span", { class: "hint", text: "nothing" }))]),
        );
      } else list.append(...items);
      showError(undefined);
    } catch (err) {
      showError(err);
    }
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    query = fieldsOf(form).query.trim();
    if (query) void page(true);
  });
  more.addEventListener("click", () => void page(false));
}
