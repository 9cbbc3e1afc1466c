import type { RtmClient, ShownMessage } from "../sdk/mod.ts";
import { el } from "./dom.ts";

/** The one reaction the page offers; reactions others gave show whatever they are. */
const QUICK_REACTION = "👍";

/**
 * A delivered message's body and what can be done to it: the "edited" mark, a tombstone for a
 * deleted one, reaction counts under the text (their title says who), and a toolbar of react,
 * edit and delete controls. An edit in progress survives the re-renders a live message causes
 * (its draft is kept here).
 */
export class MessageActions {
  private editing?: { channel: string; seq: number; draft: string };

  constructor(
    private readonly client: RtmClient,
    private readonly rerender: () => void,
    private readonly showError: (err: unknown) => void,
    private readonly nameOf: (userId: string) => string,
  ) {}

  /** The nodes below a message's meta line; `owns`: the user may delete anyone's message here. */
  render(channel: string, m: ShownMessage, owns: boolean): Node[] {
    if (m.deleted) return [el("p", { class: "tombstone", text: "This message was deleted." })];
    const mine = m.sender === this.client.userId;
    const editing = this.editing?.channel === channel && this.editing.seq === m.seq;
    const body = editing ? this.editor(channel, m) : el("p", { class: "body", text: m.body });
    const reactions = (m.reactions ?? []).map((r) => {
      const reacted = r.users.includes(this.client.userId);
      return el("button", {
        class: reacted ? "reaction mine" : "reaction",
        text: `${r.emoji} ${r.count}`,
        title: r.users.map(this.nameOf).join(", "),
        onClick: () =>
          this.run(
            reacted
              ? this.client.unreact(channel, m.seq, r.emoji)
              : this.client.react(channel, m.seq, r.emoji),
          ),
      });
    });
    return [
      body,
      m.editedAt ? el("span", { class: "edited", text: "edited" }) : null,
      reactions.length > 0 ? el("div", { class: "reactions" }, ...reactions) : null,
      // While editing, its save and cancel are the only controls: nothing floats over them.
      editing ? null : this.toolbar(channel, m, mine || owns),
    ].filter((n) => n !== null);
  }

  /**
   * React, edit and delete, floating over the message (style.css): no row of its own, so pointing
   * at a message never moves the layout. Null when there is nothing to offer.
   */
  private toolbar(channel: string, m: ShownMessage, deletable: boolean): HTMLElement | null {
    const mine = m.sender === this.client.userId;
    const toolbar = el("div", { class: "actions" });
    if (!m.reactions?.some((r) => r.emoji === QUICK_REACTION)) {
      toolbar.append(el("button", {
        class: "react",
        text: `+${QUICK_REACTION}`,
        title: "react",
        onClick: () => this.run(this.client.react(channel, m.seq, QUICK_REACTION)),
      }));
    }
    if (mine) {
      toolbar.append(el("button", {
        class: "edit",
        text: "edit",
        onClick: () => {
          this.editing = { channel, seq: m.seq, draft: m.body };
          this.rerender();
        },
      }));
    }
    if (deletable) {
      toolbar.append(el("button", {
        class: "delete",
        text: "delete",
        onClick: () => this.run(this.client.delete(channel, m.seq)),
      }));
    }
    return toolbar.childElementCount > 0 ? toolbar : null;
  }

  private editor(channel: string, m: ShownMessage): HTMLFormElement {
    const box = el("textarea", { class: "edit-box" });
    box.value = this.editing!.draft;
    box.addEventListener("input", () => this.editing && (this.editing.draft = box.value));
    const cancel = el("button", {
      class: "cancel",
      text: "cancel",
      onClick: () => {
        this.editing = undefined;
        this.rerender();
      },
    });
    cancel.type = "button"; // not the form's submit
    const form = el(
      "form",
      { class: "editor" },
      box,
      el("button", { class: "save", text: "save" }),
      cancel,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = box.value;
      this.editing = undefined;
      this.rerender();
      if (text.trim() && text !== m.body) this.run(this.client.edit(channel, m.seq, text));
    });
    return form;
  }

  /** The new state arrives as an event on the subscription; only a refusal shows here. */
  private run(request: Promise<unknown>): void {
    request.then(() => this.showError(undefined), (err) => this.showError(err));
  }
}
