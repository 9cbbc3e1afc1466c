import type { AckFrame, MembershipFrame, ReceiptFrame } from "./wire.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF } from "./backoff.ts";
import { RtmError } from "./errors.ts";
import { requestJson } from "./http.ts";
import { PeopleEvents, type UserPresence } from "./people_events.ts";
import { type Profile, Profiles } from "./profiles.ts";
import type { ShownMessage } from "./message_state.ts";
import { Publisher, type PublishOptions } from "./publisher.ts";
import { ServiceSocket, type SocketState } from "./socket.ts";
import {
  type Message,
  type SubscribeOptions,
  type Subscription,
  Subscriptions,
} from "./subscriptions.ts";
import { TokenKeeper, type TokenPair } from "./tokens.ts";

/**
 * Where the three services are: one host on the default ports, or each URL on its own. A service
 * run as several instances with no load balancer in front may be given as a list: each socket
 * starts at a random instance and moves to the next when its connection fails or drops.
 */
export type Endpoints =
  | { baseUrl: string }
  | { authUrl: string; producerUrl: string | string[]; consumerUrl: string | string[] };

interface ServiceUrls {
  auth: string;
  producer: string[];
  consumer: string[];
}

export interface Credentials {
  email: string;
  password: string;
}

export type ConnectOptions = Endpoints & {
  /** Log in with these; or resume with `tokens` (a refresh token alone is enough). */
  credentials?: Credentials;
  tokens?: TokenPair;
  /** Every new token pair, e.g. to keep the refresh token for the next page load. */
  onTokens?(pair: TokenPair): void;
  /** The session ended and cannot be renewed: the user must log in again. */
  onAuthLost?(err: RtmError): void;
  /** "online" when both sockets are up, "reconnecting" while either is coming back. */
  onStatus?(status: ConnectionStatus): void;
  backoff?: BackoffPolicy;
  publishTimeoutMs?: number;
  maxFrameBytes?: number;
  heartbeatMs?: number;
};

export type ConnectionStatus = "connecting" | "online" | "reconnecting" | "closed";

export interface User {
  id: string;
  email: string;
  displayName: string;
  createdAt: string;
}

export interface LoginResult {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
  user: User;
}

/** The user was added to a channel (a DM opened with them) or removed from one. */
export type MembershipChange = Omit<MembershipFrame, "type">;

/** `user`'s read marker in `channel` moved to `seq` (yours on another tab, or a DM peer's). */
export type Receipt = Omit<ReceiptFrame, "type">;

/** Matching messages, newest first; `next` pages on to older ones. */
export interface SearchPage {
  results: Message[];
  next?: string;
}

export interface HistoryPage {
  /** As they are now: edited text (`editedAt`), tombstones (`deleted`), `reactions`. */
  messages: ShownMessage[];
  lastSeq: number;
}

export interface ChannelSummary {
  id: string;
  kind: "public" | "private" | "direct";
  /** The user's role: an owner may delete anyone's message. */
  role?: "owner" | "member";
  lastSeq: number;
  /** In the listing: the user's read marker (a seq; recovery and receipts speak seqs). */
  lastReadSeq?: number;
  /** Ordinary messages after the read marker: edits, deletes and reactions are no news. */
  unread: number;
  /** For a direct channel: the other user's id. */
  peer?: string;
  /** For a direct channel: how far the other user has read. */
  peerLastReadSeq?: number;
}

const DEFAULT_PORTS = { producer: 8080, consumer: 8081, auth: 8082 };

function resolveEndpoints(e: Endpoints): ServiceUrls {
  if ("baseUrl" in e) {
    const base = new URL(e.baseUrl);
    const on = (port: number) => `${base.protocol}//${base.hostname}:${port}`;
    return {
      auth: on(DEFAULT_PORTS.auth),
      producer: [on(DEFAULT_PORTS.producer)],
      consumer: [on(DEFAULT_PORTS.consumer)],
    };
  }
  const trim = (u: string) => u.replace(/\/+$/, "");
  const list = (name: string, u: string | string[]) => {
    const urls = [u].flat().map(trim);
    if (urls.length === 0) throw new RtmError("INVALID", `${name} needs at least one URL`);
    return urls;
  };
  return {
    auth: trim(e.authUrl),
    producer: list("producerUrl", e.producerUrl),
    consumer: list("consumerUrl", e.consumerUrl),
  };
}

/** Creates an account (it does not log in). */
export async function register(
  endpoints: Endpoints,
  input: Credentials & { displayName?: string },
): Promise<User> {
  return await requestJson(`${resolveEndpoints(endpoints).auth}/v1/auth/register`, {
    method: "POST",
    body: input,
  });
}

/** Logs in (or resumes a session) and opens the connections; see RtmClient. */
export async function connect(options: ConnectOptions): Promise<RtmClient> {
  const urls = resolveEndpoints(options);
  let tokens = options.tokens;
  if (!tokens?.accessToken && !tokens?.refreshToken) {
    if (!options.credentials) throw new RtmError("INVALID", "credentials or tokens are required");
    tokens = await requestJson<LoginResult>(`${urls.auth}/v1/auth/login`, {
      method: "POST",
      body: options.credentials,
    });
  }
  const client = new RtmClient(urls, tokens, options);
  // Resuming from a refresh token alone: renew now, so a revoked session fails here.
  if (!tokens.accessToken) await client.refreshToken();
  client.start();
  return client;
}

/**
 * A connected user. Ingress (producer) and egress (consumer) are two services and two sockets;
 * this hides both: publish with acknowledgement and safe retries, subscribe with exactly-once
 * in-order delivery across reconnects, history and channels over HTTP, tokens renewed in time.
 */
export class RtmClient {
  private readonly tokens: TokenKeeper;
  private readonly publisher: Publisher;
  private readonly subscriptions: Subscriptions;
  private readonly membershipListeners = new Set<(change: MembershipChange) => void>();
  private readonly receiptListeners = new Set<(receipt: Receipt) => void>();
  private readonly directory = new Profiles((path, method, body) =>
    this.call(`${this.urls.auth}${path}`, method, body)
  );
  private readonly people = new PeopleEvents(
    this.directory,
    async (ids) =>
      (await this.call<{ users: UserPresence[] }>(
        `${this.consumerUrl}/v1/presence/users?${new URLSearchParams({ ids: ids.join(",") })}`,
      )).users,
  );
  private producer?: ServiceSocket;
  private consumer?: ServiceSocket;
  private readonly states = { producer: "connecting", consumer: "connecting" } as Record<
    "producer" | "consumer",
    SocketState
  >;
  private status: ConnectionStatus = "connecting";

  constructor(
    private readonly urls: ServiceUrls,
    tokens: TokenPair,
    private readonly options: ConnectOptions,
  ) {
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.tokens = new TokenKeeper(tokens, (pair) => this.renew(pair), backoff, {
      onTokens: options.onTokens,
      onAuthLost: options.onAuthLost,
    });
    this.publisher = new Publisher((f) => this.producer?.send(f) ?? false, {
      backoff,
      timeoutMs: options.publishTimeoutMs ?? 30_000,
      maxFrameBytes: options.maxFrameBytes ?? 1024 * 1024,
    });
    this.subscriptions = new Subscriptions((f) => this.consumer?.send(f) ?? false, backoff);
  }

  /** The consumer instance the socket is on: HTTP calls go where the subscriptions live. */
  private get consumerUrl(): string {
    return this.urls.consumer[this.consumer?.instance ?? 0];
  }

  /** The logged-in user's id. */
  get userId(): string {
    return this.tokens.userId ?? "";
  }

  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** Opens both sockets (connect() does this). */
  start(): void {
    const socketOptions = {
      backoff: this.options.backoff ?? DEFAULT_BACKOFF,
      heartbeatMs: this.options.heartbeatMs ?? 15_000,
    };
    const ws = (urls: string[]) => urls.map((u) => `${u.replace(/^http/, "ws")}/v1/ws`);
    this.producer = new ServiceSocket(ws(this.urls.producer), this.tokens, {
      onOpen: () => this.publisher.resendAll(),
      onFrame: (f) => this.publisher.onFrame(f),
      onState: (s) => this.setState("producer", s),
    }, socketOptions);
    this.consumer = new ServiceSocket(ws(this.urls.consumer), this.tokens, {
      onOpen: () => {
        this.subscriptions.renewAll();
        this.people.socketOpened();
      },
      onFrame: (f) => {
        if (f.type === "membership") {
          for (const listen of this.membershipListeners) {
            listen({ channel: f.channel, change: f.change });
          }
        } else if (f.type === "receipt") {
          for (const listen of this.receiptListeners) {
            listen({ channel: f.channel, user: f.user, seq: f.seq });
          }
        } else if (!this.people.onFrame(f)) this.subscriptions.onFrame(f);
      },
      onState: (s) => this.setState("consumer", s),
    }, socketOptions);
  }

  /**
   * Resolves with the ack once the message is durably stored. Retries across disconnects and
   * UNAVAILABLE with the same clientMsgId (never a duplicate); rejects with an RtmError carrying
   * the server's code for INVALID, FORBIDDEN, TOO_LARGE or RATE_LIMITED. Once acked, the next
   * `typing` in the channel goes out without waiting out the usual repeat interval.
   */
  async publish(channel: string, body: string, options?: PublishOptions): Promise<AckFrame> {
    const ack = await this.publisher.publish(channel, body, options);
    this.subscriptions.published(channel);
    return ack;
  }

  /**
   * Replaces the text of the user's own message `seq` (others get it in `onEvent`). Acked and
   * retried like a publish; FORBIDDEN for another's message, NOT_FOUND for none or a deleted one.
   */
  edit(channel: string, seq: number, body: string, options?: PublishOptions): Promise<AckFrame> {
    return this.publisher.publish(channel, body, options, { kind: "edit", target: seq });
  }

  /** Deletes message `seq` (the user's own, or any in a channel the user owns): a tombstone. */
  delete(channel: string, seq: number, options?: PublishOptions): Promise<AckFrame> {
    return this.publisher.publish(channel, "", options, { kind: "delete", target: seq });
  }

  /** Adds the user's `emoji` to message `seq` (once per user and emoji). */
  react(channel: string, seq: number, emoji: string, options?: PublishOptions): Promise<AckFrame> {
    return this.publisher.publish(channel, emoji, options, { kind: "react", target: seq });
  }

  /** Takes the user's `emoji` off message `seq`. */
  unreact(
    channel: string,
    seq: number,
    emoji: string,
    options?: PublishOptions,
  ): Promise<AckFrame> {
    return this.publisher.publish(channel, emoji, options, { kind: "unreact", target: seq });
  }

  /** Every message of `channel` exactly once, in seq order, across reconnects. */
  subscribe(
    channel: string,
    onMessage: (message: Message) => void,
    options?: SubscribeOptions,
  ): Promise<Subscription> {
    return this.subscriptions.subscribe(channel, onMessage, options);
  }

  /**
   * Calls `listener` when the user is added to a channel (someone opened a DM with them, an owner
   * added them, they joined on another device) or removed from one, while connected; list
   * `channels()` again after a reconnect for what happened meanwhile. Returns a function to stop.
   */
  onMembership(listener: (change: MembershipChange) => void): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  /**
   * Calls `listener` when a read marker moves: the user's own (read on another tab or device: sync
   * unread counts) and, in a DM or a small private channel the user subscribes to, another
   * member's ("seen"). While connected; `channels()` has the markers after a reconnect.
   */
  onReceipt(listener: (receipt: Receipt) => void): () => void {
    this.receiptListeners.add(listener);
    return () => this.receiptListeners.delete(listener);
  }

  /**
   * Calls `listener` when people the user shares a DM with come online or go offline, and after a
   * reconnect with the current presence of everyone asked about with `userPresence` (what changed
   * meanwhile was not pushed). Returns a function to stop.
   */
  onUserPresence(listener: (users: UserPresence[]) => void): () => void {
    return this.people.onUserPresence(listener);
  }

  /**
   * Calls `listener` when someone the user shares a channel with (or the user, elsewhere) changes
   * their display name; `cachedProfile` has the new name already. Returns a function to stop.
   */
  onProfile(listener: (profile: Profile) => void): () => void {
    return this.people.onProfile(listener);
  }

  /**
   * Says the user is typing in `channel` (subscribed): call it on every keystroke; it goes out at
   * most every few seconds, and again soon after a publish there (receivers hide a typist when
   * their message arrives). Others get it in their subscription's `onTyping`.
   */
  typing(channel: string): boolean {
    return this.subscriptions.typing(channel);
  }

  /**
   * A page of history, oldest first: without `after`, the newest `limit` messages before
   * `before` (what a chat shows first, and "load older").
   */
  history(
    channel: string,
    page: { before?: number; after?: number; limit?: number } = {},
  ): Promise<HistoryPage> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(page)) if (v !== undefined) query.set(k, String(v));
    return this.call(`${this.consumerUrl}/v1/channels/${enc(channel)}/messages?${query}`);
  }

  /**
   * Messages containing the words of `query` in the channels the user is a member of (or only
   * `channel`), newest first; pass a page's `next` as `before` for older ones. Rate limited.
   */
  search(
    query: string,
    options: { channel?: string; before?: string; limit?: number } = {},
  ): Promise<SearchPage> {
    const params = new URLSearchParams({ query });
    for (const [k, v] of Object.entries(options)) if (v !== undefined) params.set(k, String(v));
    return this.call(`${this.consumerUrl}/v1/search?${params}`);
  }

  /** The logged-in user's account. */
  me(): Promise<User> {
    return this.call(`${this.urls.auth}/v1/auth/me`);
  }

  /** Changes the user's display name (open pages that show it get `onProfile`). */
  async updateProfile(changes: { displayName: string }): Promise<User> {
    const user = await this.call<User>(`${this.urls.auth}/v1/users/me`, "PATCH", changes);
    this.directory.remember(user);
    return user;
  }

  /** Profiles of `ids` (those that exist), from the cache or one batched lookup. */
  profiles(ids: Iterable<string>): Promise<Map<string, Profile>> {
    return this.directory.get(ids);
  }

  /** A profile already fetched, without waiting: for rendering while `profiles` runs. */
  cachedProfile(id: string): Profile | undefined {
    return this.directory.cached(id);
  }

  /**
   * People whose name (or a word of it) starts with `query`, or whose email is exactly `query`:
   * at most 20, never with emails. Rate limited (RATE_LIMITED with a retry time).
   */
  async searchUsers(query: string): Promise<Profile[]> {
    const found = await this.call<{ users: Profile[] }>(
      `${this.urls.auth}/v1/users?${new URLSearchParams({ query })}`,
    );
    found.users.forEach((p) => this.directory.remember(p));
    return found.users;
  }

  /** The channels the user belongs to, with unread counts. */
  async channels(): Promise<ChannelSummary[]> {
    return (await this.call<{ channels: ChannelSummary[] }>(`${this.consumerUrl}/v1/channels`))
      .channels;
  }

  createChannel(id: string, kind: "public" | "private" = "public"): Promise<ChannelSummary> {
    return this.call(`${this.consumerUrl}/v1/channels`, "POST", { id, kind });
  }

  /** Adds a member (an owner adds anyone; anyone may join a public channel themselves). */
  addMember(channel: string, userId: string): Promise<void> {
    return this.call(`${this.consumerUrl}/v1/channels/${enc(channel)}/members`, "POST", {
      userId,
    });
  }

  /** The direct channel between the user and `userId` (the same one every time). */
  openDirect(userId: string): Promise<ChannelSummary> {
    return this.call(`${this.consumerUrl}/v1/dm/${enc(userId)}`, "POST", {});
  }

  /** Marks everything up to `seq` as read (unread counts start after it). */
  markRead(channel: string, seq: number): Promise<void> {
    return this.call(`${this.consumerUrl}/v1/channels/${enc(channel)}/read`, "POST", { seq });
  }

  /** The users online in `channel` now. */
  async presence(channel: string): Promise<string[]> {
    return (await this.call<{ online: string[] }>(
      `${this.consumerUrl}/v1/channels/${enc(channel)}/presence`,
    )).online;
  }

  /** Online and last seen of `ids` (at most 100): FORBIDDEN unless each shares a channel or DM. */
  userPresence(ids: string[]): Promise<UserPresence[]> {
    return this.people.presence(ids);
  }

  /** Renews the access token now (concurrent calls share one renewal). */
  refreshToken(): Promise<string> {
    return this.tokens.refresh();
  }

  /** Ends the session on the server (when it has refresh tokens) and closes everything. */
  async logout(): Promise<void> {
    const refreshToken = this.tokens.refreshToken;
    this.close();
    if (refreshToken) {
      await requestJson(`${this.urls.auth}/v1/auth/logout`, {
        method: "POST",
        body: { refreshToken },
      }).catch(() => {});
    }
  }

  /** Closes both sockets and stops renewing; pending publishes reject with UNAVAILABLE. */
  close(): void {
    this.tokens.close();
    this.producer?.close();
    this.consumer?.close();
    this.publisher.close();
    this.subscriptions.close();
  }

  /** An authenticated request; a 401 renews the token once and retries. */
  private async call<T>(url: string, method = "GET", body?: unknown): Promise<T> {
    try {
      return await requestJson<T>(url, { method, body, token: await this.tokens.fresh() });
    } catch (err) {
      if (!(err instanceof RtmError) || err.code !== "UNAUTHENTICATED") throw err;
      return requestJson<T>(url, { method, body, token: await this.tokens.refresh() });
    }
  }

  private renew(pair: TokenPair): Promise<LoginResult> {
    if (pair.refreshToken) {
      return requestJson(`${this.urls.auth}/v1/auth/refresh`, {
        method: "POST",
        body: { refreshToken: pair.refreshToken },
      });
    }
    if (this.options.credentials) {
      return requestJson(`${this.urls.auth}/v1/auth/login`, {
        method: "POST",
        body: this.options.credentials,
      });
    }
    return Promise.reject(new RtmError("UNAUTHENTICATED", "session expired; log in again"));
  }

  private setState(which: "producer" | "consumer", state: SocketState): void {
    this.states[which] = state;
    const { producer, consumer } = this.states;
    const next: ConnectionStatus = producer === "closed" && consumer === "closed"
      ? "closed"
      : producer === "open" && consumer === "open"
      ? "online"
      : producer === "reconnecting" || consumer === "reconnecting"
      ? "reconnecting"
      : "connecting";
    if (next === this.status) return;
    this.status = next;
    this.options.onStatus?.(next);
  }
}

const enc = encodeURIComponent;
