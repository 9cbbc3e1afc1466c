import type { ApiKeyGuard } from "../../../../shared/apikeys/guard.ts";
import { serverApiCalls } from "../../../../shared/grpc/server_api.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import { validate } from "../../../../shared/validation/invalid.ts";
import type { ChannelInfo } from "../../domain/ports/channel_directory.ts";
import type { MessageStore } from "../../domain/ports/message_store.ts";
import type { ServerAdmin } from "../../domain/services/server_admin.ts";
import { HistoryQuery, readHistory } from "./history.ts";
import {
  ChannelParam,
  CreateChannelBody,
  MemberParams,
  UnsubscribeBody,
  UserParam,
} from "./server_routes.ts";

const channelOf = (r: Record<string, unknown>) => validate(ChannelParam, { id: r.channel }).id;
const member = (r: Record<string, unknown>) =>
  validate(MemberParams, { id: r.channel, userId: r.user_id });
const grpcChannel = (c: ChannelInfo) => ({ id: c.id, kind: c.kind, last_seq: c.lastSeq });

/**
 * The consumer's part of the gRPC ServerApi: everything but publishing, validated as over HTTP.
 * proto3 sends an unset string as "": optional fields go in as `value || undefined`.
 */
export function serverAdminCalls(
  admin: ServerAdmin,
  store: MessageStore,
  guard: ApiKeyGuard,
  logger: Logger,
) {
  const call = serverApiCalls(guard, logger);
  return {
    DisconnectUser: call("moderate", "DisconnectUser", (r) => {
      admin.disconnect(validate(UserParam, { id: r.user_id }).id);
      return {};
    }),
    UnsubscribeUser: call("moderate", "UnsubscribeUser", (r) => {
      const { id } = validate(UserParam, { id: r.user_id });
      admin.unsubscribe(id, validate(UnsubscribeBody, { channel: r.channel }).channel);
      return {};
    }),
    GetPresence: call("read", "GetPresence", (r) => {
      const channel = channelOf(r);
      return { channel, online: admin.presence(channel) };
    }),
    GetHistory: call("read", "GetHistory", async (r) => {
      const query = validate(HistoryQuery, {
        after: r.after ?? undefined,
        before: r.before ?? undefined,
        limit: r.limit || undefined,
      });
      const page = await readHistory(store, channelOf(r), query);
      return {
        last_seq: page.lastSeq,
        messages: page.messages.map((m) => ({
          channel: m.channel,
          seq: m.seq,
          id: m.id,
          client_msg_id: m.clientMsgId,
          sender: m.sender,
          body: m.body,
          sent_at: m.sentAt,
          edited_at: m.editedAt ?? "",
          deleted: m.deleted ?? false,
          reactions: m.reactions ?? [],
        })),
      };
    }),
    GetChannel: call("read", "GetChannel", async (r) => {
      const c = await admin.describe(channelOf(r));
      return {
        ...grpcChannel(c),
        members: c.members.map((m) => ({ user_id: m.userId, role: m.role })),
        member_count: c.memberCount,
        online: c.online,
      };
    }),
    CreateChannel: call("moderate", "CreateChannel", async (r) => {
      const { id, kind, owner } = validate(CreateChannelBody, {
        id: r.id,
        kind: r.kind,
        owner: r.owner || undefined,
      });
      return grpcChannel(await admin.createChannel(id, kind, owner));
    }),
    AddMember: call("moderate", "AddMember", async (r) => {
      const { id, userId } = member(r);
      return { added: await admin.addMember(id, userId) };
    }),
    RemoveMember: call("moderate", "RemoveMember", async (r) => {
      const { id, userId } = member(r);
      await admin.removeMember(id, userId);
      return {};
    }),
  };
}
