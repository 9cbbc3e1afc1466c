import {
  applyEvent,
  type ChannelSummary,
  type MembershipChange,
  type Message,
  type MessageEvent,
  type Presence,
  type Receipt,
  RtmClient,
  RtmError,
  type ShownMessage,
  type Subscription,
  type Typing,
  TYPING_SHOWN_MS,
  type User,
} from "../sdk/mod.ts";
import { describeError } from "./describe_error.ts";
import { byId, el, fieldsOf } from "./dom.ts";
import { MessageActions } from "./message_actions.ts";
import { PresenceDots } from "./presence_dots.ts";
import { seenSeq, type Unread, unreadAfterRead, unreadCount } from "./receipts.ts";
import { bindSearch } from "./search.ts";

const PAGE = 50;
/** A search result is found by loading older pages, this many of this size at most. */
const JUMP_PAGES = 20;
const JUMP_PAGE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_CHANNEL = "general";
/** The channel open last in this tab, opened again after a reload. */
const CURRENT_KEY = "rtm.channel";

interface ChannelView {
  id: string;
  kind: ChannelSummary["kind"];
  peer?: string;
  /** The user owns the channel (may delete anyone's message). */
  owns: boolean;
  unread: Unread;
  /** The newest seq known, and this user's read marker (moved by any of their tabs). */
  lastSeq: number;
  readSeq: number;
  /** In a DM: how far the other user has read. */
  peerReadSeq: number;
  /** Loaded messages by seq (history pages and live ones), kept current by their events. */
  messages: Map<number, ShownMessage>;
  /** The oldest seq loaded; 1 means the whole history is here. */
  oldest?: number;
  historyLoaded: boolean;
  online: Set<string>;
  /** Who is typing here, each until their timer hides them. */
  typing: Map<string, ReturnType<typeof setTimeout>>;
  subscription?: Subscription;
  following?: Promise<void>;
}

/** The signed-in page: channel list, one open conversation, composer, presence and status. */
export class Chat {
  private readonly channels = new Map<string, ChannelView>();
  private current?: ChannelView;
  /** Sent by this tab and not yet delivered back: shown greyed until their message arrives. */
  private readonly pending = new Map<string, { channel: string; body: string }>();
  /** Ids shown before their profile arrived: looked up together, then everything re-renders. */
  private batch?: Set<string>;
  /** Ids the directory does not know (deleted accounts): not asked again. */
  private readonly nameless = new Set<string>();
  /** The message a search result jumped to, marked until another jump. */
  private found?: { channel: string; seq: number };
  /** DM partners online or last seen, shown in the channel list. */
  private dots?: PresenceDots;

  private readonly actions: MessageActions;

  constructor(private readonly client: RtmClient) {
    this.actions = new MessageActions(
      client,
      () => this.renderMessages(false),
      (err) => this.showError(err),
      (id) => this.nameOf(id),
    );
  }

  async start(): Promise<void> {
    byId("me").textContent = this.client.userId;
    this.client.me().then((user) => this.showMe(user), () => {});
    this.bindForms();
    this.dots = new PresenceDots(this.client, () => this.renderChannels());
    // Someone renamed: the profile cache has the new name; show it wherever it is rendered.
    this.client.onProfile(() => this.renderAll());
    let summaries: ChannelSummary[] = [];
    try {
      summaries = await this.client.channels();
    } catch (err) {
      this.showError(err);
    }
    for (const s of summaries) this.addChannel(s);
    if (!this.channels.has(DEFAULT_CHANNEL)) {
      this.addChannel({ id: DEFAULT_CHANNEL, kind: "public", lastSeq: 0, unread: 0 });
    }
    await Promise.all([...this.channels.values()].map((c) => this.follow(c)));
    this.client.onMembership((m) => void this.onMembership(m));
    this.client.onReceipt((r) => this.onReceipt(r));
    const last = this.channels.get(sessionStorage.getItem(CURRENT_KEY) ?? "");
    await this.open(last ?? this.channels.get(DEFAULT_CHANNEL)!);
  }

  private showMe(user: User): void {
    byId("me").textContent = `${user.displayName} · ${user.id}`;
    byId<HTMLInputElement>("display-name").value = user.displayName;
  }

  private addChannel(s: ChannelSummary): ChannelView {
    const existing = this.channels.get(s.id);
    if (existing) return existing;
    const view: ChannelView = {
      id: s.id,
      kind: s.kind,
      peer: s.peer,
      owns: s.role === "owner",
      unread: { listed: s.unread, listedUpTo: s.lastSeq, live: [] },
      lastSeq: s.lastSeq,
      // Unread counts messages, not seqs: only the listing says where the marker is.
      readSeq: s.lastReadSeq ?? s.lastSeq,
      peerReadSeq: s.peerLastReadSeq ?? 0,
      messages: new Map(),
      historyLoaded: false,
      online: new Set(),
      typing: new Map(),
    };
    this.channels.set(s.id, view);
    if (s.peer) this.dots?.track([s.peer]);
    this.renderChannels();
    return view;
  }

  /**
   * Subscribes to a channel so unread counts and presence stay live even when it is not open;
   * once, however many paths (a click, a membership event) ask at the same time.
   */
  private follow(view: ChannelView): Promise<void> {
    return view.following ??= this.subscribe(view);
  }

  private async subscribe(view: ChannelView): Promise<void> {
    try {
      view.subscription = await this.client.subscribe(view.id, (m) => this.onMessage(view, m), {
        onPresence: (p) => this.onPresence(view, p),
        onTyping: (t) => this.onTyping(view, t),
        onEvent: (e) => this.onEvent(view, e),
        onReset: () => this.reload(view),
        // FORBIDDEN: removed from the channel (its membership event follows, or was lost).
        onError: (err) => err.code === "FORBIDDEN" ? this.dropChannel(view) : this.showError(err),
      });
    } catch (err) {
      this.showError(err);
    }
  }

  /** Added (a DM opened with this user, say): list and follow it; removed: drop it. */
  private async onMembership(m: MembershipChange): Promise<void> {
    const known = this.channels.get(m.channel);
    if (m.change === "removed") {
      if (known) this.dropChannel(known);
      return;
    }
    if (known) return;
    try {
      const summary = (await this.client.channels()).find((c) => c.id === m.channel);
      if (!summary || this.channels.has(m.channel)) return;
      await this.follow(this.addChannel(summary));
    } catch (err) {
      this.showError(err);
    }
  }

  private dropChannel(view: ChannelView): void {
    if (this.channels.get(view.id) !== view) return;
    view.subscription?.unsubscribe();
    for (const timer of view.typing.values()) clearTimeout(timer);
    this.channels.delete(view.id);
    this.renderChannels();
    const general = this.channels.get(DEFAULT_CHANNEL);
    if (view === this.current && general) void this.open(general);
  }

  private async open(view: ChannelView): Promise<void> {
    this.current = view;
    sessionStorage.setItem(CURRENT_KEY, view.id);
    byId("sidebar").classList.remove("open");
    byId("channel-title").textContent = this.label(view);
    this.renderChannels();
    this.renderTyping();
    if (!view.historyLoaded) await this.loadOlder(view);
    this.renderMessages(true);
    this.markRead(view);
    this.client.presence(view.id).then((online) => {
      view.online = new Set(online);
      this.renderPresence();
    }, () => this.renderPresence());
  }

  private async loadOlder(view: ChannelView, limit = PAGE): Promise<void> {
    try {
      const page = await this.client.history(view.id, {
        limit,
        ...(view.oldest ? { before: view.oldest } : {}),
      });
      for (const m of page.messages) view.messages.set(m.seq, m);
      const oldestInPage = page.messages[0]?.seq ?? 1;
      view.oldest = Math.min(view.oldest ?? Infinity, oldestInPage);
      view.historyLoaded = true;
    } catch (err) {
      this.showError(err);
    }
  }

  private onMessage(view: ChannelView, m: Message): void {
    view.messages.set(m.seq, m);
    view.lastSeq = Math.max(view.lastSeq, m.seq);
    this.stopTyping(view, m.sender); // their message is what they were typing
    this.pending.delete(m.clientMsgId);
    if (view === this.current) {
      this.renderMessages(false);
      this.markRead(view);
    } else if (
      m.sender !== this.client.userId && m.seq > view.readSeq && m.seq > view.unread.listedUpTo
    ) {
      view.unread.live.push(m.seq);
      this.renderChannels();
    }
  }

  /** An edit, delete or reaction: the loaded message it acts on is shown as it is now. */
  private onEvent(view: ChannelView, e: MessageEvent): void {
    const target = view.messages.get(e.target);
    if (target) view.messages.set(e.target, applyEvent(target, e));
    if (view !== this.current) return;
    this.renderMessages(false);
    this.client.markRead(view.id, e.seq).catch(() => {});
  }

  private onPresence(view: ChannelView, p: Presence): void {
    for (const u of p.joined) view.online.add(u);
    for (const u of p.left) view.online.delete(u);
    if (view === this.current) this.renderPresence();
  }

  private onTyping(view: ChannelView, t: Typing): void {
    clearTimeout(view.typing.get(t.user));
    view.typing.set(t.user, setTimeout(() => this.stopTyping(view, t.user), TYPING_SHOWN_MS));
    if (view === this.current) this.renderTyping();
  }

  private stopTyping(view: ChannelView, user: string): void {
    if (!view.typing.has(user)) return;
    clearTimeout(view.typing.get(user));
    view.typing.delete(user);
    if (view === this.current) this.renderTyping();
  }

  /** A read marker moved: this user's on another tab (unread syncs), or a DM peer's ("seen"). */
  private onReceipt(r: Receipt): void {
    const view = this.channels.get(r.channel);
    if (!view) return;
    if (r.user === this.client.userId) {
      view.readSeq = Math.max(view.readSeq, r.seq);
      const unread = unreadAfterRead(view.unread, view.readSeq);
      if (!unread) return void this.recount(view);
      view.unread = unread;
      this.renderChannels();
    } else if (view.kind === "direct" && r.seq > view.peerReadSeq) {
      view.peerReadSeq = r.seq;
      if (view === this.current) this.renderMessages(false);
    }
  }

  /** The server counts this channel's unread messages again (one listing). */
  private async recount(view: ChannelView): Promise<void> {
    try {
      const s = (await this.client.channels()).find((c) => c.id === view.id);
      if (!s) return;
      view.readSeq = Math.max(view.readSeq, s.lastReadSeq ?? 0);
      // Messages received since the listing are counted here; those before it, there.
      const live = view.unread.live.filter((seq) => seq > s.lastSeq && seq > view.readSeq);
      view.unread = { listed: s.unread, listedUpTo: s.lastSeq, live };
      this.renderChannels();
    } catch (err) {
      this.showError(err);
    }
  }

  /**
   * Opens `channel` with the message `seq` in view and marked, loading older pages until it is
   * there (a bounded number: further back, the user is told so).
   */
  async jumpTo(channel: string, seq: number): Promise<void> {
    const view = this.channels.get(channel);
    if (!view) return this.showError(new RtmError("NOT_FOUND", `you are not in ${channel}`));
    this.found = { channel, seq };
    await this.open(view);
    for (let i = 0; i < JUMP_PAGES && !view.messages.has(seq) && (view.oldest ?? 1) > 1; i++) {
      await this.loadOlder(view, JUMP_PAGE);
    }
    this.renderMessages(false);
    const item = document.querySelector(`#messages [data-seq="${seq}"]`);
    if (!item) {
      return this.showError(new RtmError("NOT_FOUND", "that message is too far back to show"));
    }
    item.scrollIntoView({ block: "center" });
  }

  /** The server could not replay what was missed: start this channel over from history. */
  private async reload(view: ChannelView): Promise<void> {
    view.messages.clear();
    view.oldest = undefined;
    view.historyLoaded = false;
    if (view === this.current) await this.open(view);
  }

  private markRead(view: ChannelView): void {
    const last = Math.max(0, ...view.messages.keys());
    view.unread = { listed: 0, listedUpTo: view.unread.listedUpTo, live: [] };
    view.readSeq = Math.max(view.readSeq, last);
    this.renderChannels();
    if (last > 0) this.client.markRead(view.id, last).catch(() => {});
  }

  private async send(body: string): Promise<void> {
    const view = this.current;
    if (!view || !body.trim()) return;
    const clientMsgId = crypto.randomUUID();
    this.pending.set(clientMsgId, { channel: view.id, body });
    this.renderMessages(true);
    try {
      await this.client.publish(view.id, body, { clientMsgId });
      this.showError(undefined);
    } catch (err) {
      this.pending.delete(clientMsgId);
      this.renderMessages(false);
      const composer = byId<HTMLFormElement>("composer");
      const box = composer.elements.namedItem("body") as HTMLTextAreaElement;
      if (!box.value) box.value = body; // give the text back so nothing typed is lost
      this.showError(err);
    }
  }

  private async join(id: string, isPrivate: boolean): Promise<void> {
    let view = this.channels.get(id);
    if (!view) {
      try {
        const created = await this.client.createChannel(id, isPrivate ? "private" : "public");
        view = this.addChannel({ ...created, id, role: "owner", unread: 0 });
      } catch (err) {
        if (!(err instanceof RtmError) || err.code !== "CONFLICT") return this.showError(err);
        // Asked for a private channel: joining whatever has that name would be a silent downgrade.
        if (isPrivate) return this.showError(err);
        // It exists: join it (allowed for a public channel; a private one answers FORBIDDEN).
        try {
          await this.client.addMember(id, this.client.userId);
        } catch (joinErr) {
          return this.showError(joinErr);
        }
        view = this.addChannel({ id, kind: "public", lastSeq: 0, unread: 0 });
      }
      await this.follow(view);
    }
    await this.open(view);
  }

  private async openDirect(userId: string): Promise<void> {
    try {
      const dm = await this.client.openDirect(userId);
      // Opening a DM answers its id and kind, no lastSeq: it starts with nothing read or unread.
      const view = this.addChannel({
        ...dm,
        lastSeq: dm.lastSeq ?? 0,
        peer: dm.peer ?? userId,
        unread: 0,
      });
      await this.follow(view);
      await this.open(view);
    } catch (err) {
      this.showError(err);
    }
  }

  /** Lists the people matching `query`; picking one opens the DM with them. */
  private async findPeople(query: string): Promise<void> {
    const list = byId("people");
    try {
      const found = (await this.client.searchUsers(query)).filter((p) =>
        p.id !== this.client.userId
      );
      this.showError(undefined);
      list.replaceChildren(
        ...(found.length ? found : [undefined]).map((p) =>
          el(
            "li",
            {},
            p
              ? el("button", {
                class: "person",
                text: p.displayName,
                title: p.id,
                onClick: () => {
                  list.replaceChildren();
                  byId<HTMLFormElement>("new-dm").reset();
                  void this.openDirect(p.id);
                },
              })
              : el("span", { class: "hint", text: "nobody found" }),
          )
        ),
      );
    } catch (err) {
      this.showError(err);
    }
  }

  private bindForms(): void {
    const composer = byId<HTMLFormElement>("composer");
    const box = composer.elements.namedItem("body") as HTMLTextAreaElement;
    composer.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = box.value;
      box.value = "";
      void this.send(body);
    });
    box.addEventListener("input", () => {
      if (this.current && box.value.trim()) this.client.typing(this.current.id);
    });
    // Enter sends, Shift+Enter is a new line.
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        composer.requestSubmit();
      }
    });
    const newChannel = byId<HTMLFormElement>("new-channel");
    newChannel.addEventListener("submit", (e) => {
      e.preventDefault();
      const { id, private: isPrivate } = fieldsOf(newChannel);
      newChannel.reset();
      void this.join(id.trim(), isPrivate === "on");
    });
    const newDm = byId<HTMLFormElement>("new-dm");
    newDm.addEventListener("submit", (e) => {
      e.preventDefault();
      const query = fieldsOf(newDm).query.trim();
      if (UUID.test(query)) {
        newDm.reset();
        void this.openDirect(query);
      } else void this.findPeople(query);
    });
    const profile = byId<HTMLFormElement>("profile");
    profile.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        this.showMe(
          await this.client.updateProfile({ displayName: fieldsOf(profile).displayName }),
        );
        this.showError(undefined);
      } catch (err) {
        this.showError(err);
      }
    });
    byId("load-older").addEventListener("click", async () => {
      if (!this.current) return;
      const scroller = byId("scroller");
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      await this.loadOlder(this.current);
      this.renderMessages(false);
      scroller.scrollTop = scroller.scrollHeight - fromBottom; // keep the reader's place
    });
    const sidebar = byId("sidebar");
    byId("menu").addEventListener("click", () => sidebar.classList.toggle("open"));
    // At phone width the list slides over the conversation: a tap beside it closes it.
    document.addEventListener("click", (e) => {
      if (!(e.target instanceof Element) || e.target.closest("#sidebar, #menu")) return;
      sidebar.classList.remove("open");
    });
    bindSearch(this.client, {
      jump: (channel, seq) => this.jumpTo(channel, seq),
      label: (channel) => {
        const view = this.channels.get(channel);
        return view ? this.label(view) : `# ${channel}`;
      },
      showError: (err) => this.showError(err),
    });
  }

  private label(view: ChannelView): string {
    if (view.kind === "direct") return `@ ${this.nameOf(view.peer ?? view.id)}`;
    return `${view.kind === "private" ? "🔒" : "#"} ${view.id}`;
  }

  /** A user's display name; until their profile is here, an id prefix (and a lookup starts). */
  private nameOf(userId: string): string {
    if (userId === this.client.userId) return "you";
    const profile = this.client.cachedProfile(userId);
    if (profile) return profile.displayName;
    this.lookUp(userId);
    return userId.slice(0, 8);
  }

  private lookUp(userId: string): void {
    if (this.nameless.has(userId)) return;
    if (!this.batch) {
      const batch = this.batch = new Set();
      // Every id rendered in this turn goes in one request.
      queueMicrotask(() => {
        this.batch = undefined;
        this.client.profiles(batch).then((found) => {
          for (const id of batch) if (!found.has(id)) this.nameless.add(id);
          if (found.size) this.renderAll();
        }, () => {});
      });
    }
    this.batch.add(userId);
  }

  private renderAll(): void {
    if (this.current) byId("channel-title").textContent = this.label(this.current);
    this.renderChannels();
    this.renderPresence();
    this.renderTyping();
    this.renderMessages(false);
  }

  private renderChannels(): void {
    const list = byId("channels");
    list.replaceChildren(
      ...[...this.channels.values()].map((view) =>
        el(
          "li",
          {},
          el(
            "button",
            {
              class: view === this.current ? "active" : "",
              onClick: () => void this.open(view),
            },
            view.peer ? this.dots?.dot(view.peer) ?? null : null,
            el("span", { text: this.label(view) }),
            view.peer ? this.dots?.seen(view.peer) ?? null : null,
            unreadCount(view.unread) > 0
              ? el("span", { class: "badge", text: String(unreadCount(view.unread)) })
              : null,
          ),
        )
      ),
    );
  }

  private renderTyping(): void {
    const names = [...this.current?.typing.keys() ?? []].map((u) => this.nameOf(u));
    byId("typing").textContent = names.length === 0
      ? ""
      : names.length === 1
      ? `${names[0]} is typing…`
      : `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
  }

  private renderPresence(): void {
    const view = this.current;
    const names = view ? [...view.online].map((u) => this.nameOf(u)) : [];
    byId("presence").textContent = names.length ? `Online: ${names.join(", ")}` : "";
  }

  private renderMessages(scrollToEnd: boolean): void {
    const view = this.current;
    if (!view) return;
    const scroller = byId("scroller");
    const atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    const delivered = [...view.messages.values()].sort((a, b) => a.seq - b.seq);
    const waiting = [...this.pending.entries()].filter(([, p]) => p.channel === view.id);
    const seen = view.kind === "direct"
      ? seenSeq(delivered, view.peerReadSeq, this.client.userId)
      : undefined;
    const found = this.found?.channel === view.id ? this.found.seq : undefined;
    byId("messages").replaceChildren(
      ...delivered.map((m) =>
        this.messageItem(m.sender, m.body, m.sentAt, false, {
          delivered: m,
          seen: m.seq === seen,
          found: m.seq === found,
        })
      ),
      ...waiting.map(([, p]) => this.messageItem(this.client.userId, p.body, undefined, true)),
    );
    byId("load-older").hidden = !view.oldest || view.oldest <= 1;
    if (scrollToEnd || atEnd) scroller.scrollTop = scroller.scrollHeight;
  }

  private messageItem(
    sender: string,
    body: string,
    sentAt: string | undefined,
    pending: boolean,
    mark: { delivered?: ShownMessage; seen?: boolean; found?: boolean } = {},
  ) {
    const who = el("button", {
      class: "sender",
      text: this.nameOf(sender),
      title: sender === this.client.userId ? "you" : `message ${sender}`,
      onClick: () => {
        if (sender !== this.client.userId) void this.openDirect(sender);
      },
    });
    const when = sentAt
      ? new Date(sentAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : "sending…";
    const item = el(
      "li",
      { class: pending ? "message pending" : mark.found ? "message found" : "message" },
      el("div", { class: "meta" }, who, el("time", { text: when })),
      ...mark.delivered && this.current
        ? this.actions.render(this.current.id, mark.delivered, this.current.owns)
        : [el("p", { class: "body", text: body })],
      mark.seen ? el("p", { class: "seen", text: "Seen" }) : null,
    );
    if (mark.delivered) item.dataset.seq = String(mark.delivered.seq);
    return item;
  }

  showError(err: unknown): void {
    byId("chat-error").textContent = err === undefined ? "" : describeError(err);
  }
}
