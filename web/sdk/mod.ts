/**
 * The rtm client SDK, for browsers and Deno alike (no framework, no dependencies):
 *
 * ```ts
 * const client = await connect({ baseUrl: "http://localhost", credentials: { email, password } });
 * await client.subscribe("general", (m) => console.log(m.seq, m.body));
 * await client.publish("general", "hello");
 * ```
 */
export {
  type ChannelSummary,
  connect,
  type ConnectionStatus,
  type ConnectOptions,
  type Credentials,
  type Endpoints,
  type HistoryPage,
  type LoginResult,
  type MembershipChange,
  type Receipt,
  register,
  RtmClient,
  type SearchPage,
  type User,
} from "./client.ts";
export { type ErrorCode, RtmError } from "./errors.ts";
export {
  applyEvent,
  type MessageEvent,
  type MessageState,
  type Reaction,
  type ShownMessage,
} from "./message_state.ts";
export type { Profile } from "./profiles.ts";
export type { PublishOptions } from "./publisher.ts";
export {
  type Message,
  type Presence,
  type SubscribeOptions,
  type Subscription,
  type Typing,
  TYPING_SHOWN_MS,
} from "./subscriptions.ts";
export type { TokenPair } from "./tokens.ts";
export type { AckFrame } from "./wire.ts";
