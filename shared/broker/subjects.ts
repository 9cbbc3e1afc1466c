import { CHANNEL_ID_PATTERN } from "../domain/channel.ts";

/**
 * NATS names in one place. A namespace (NATS_NAMESPACE) prefixes every subject and suffixes the
 * stream, so several deployments (or parallel test runs) can share one NATS server safely.
 */
export interface BrokerNames {
  stream: string;
  /** `message.<partition>.<channel>`: a partition's reader filters on its partition token. */
  messageSubject(partition: number, channel: string): string;
  partitionSubject(partition: number): string;
  messageWildcard: string;
  deliverySubject(channel: string): string;
  deliveryWildcard: string;
  signalSubject(topic: string): string;
  /** The KV bucket of partition leases and consumer-instance heartbeats. */
  leaseBucket: string;
  deadLetterStream: string;
  deadLetterSubject(channel: string): string;
  deadLetterWildcard: string;
  /** Channel events other than messages (membership, presence), for webhooks. */
  eventStream: string;
  /** `event.<partition>.<key>` (the channel, or the user of a user's own event), like messages. */
  eventSubject(partition: number, key: string): string;
  eventPartitionSubject(partition: number): string;
  eventWildcard: string;
}

/** A channel id as a subject token; anything else (dots, wildcards, empty) never gets this far. */
function channelToken(channel: string): string {
  if (!CHANNEL_ID_PATTERN.test(channel)) throw new Error(`unsafe channel id in a subject`);
  return channel;
}

export function brokerNames(namespace?: string): BrokerNames {
  const p = namespace ? `${namespace}.` : "";
  return {
    stream: namespace ? `MESSAGES_${namespace}` : "MESSAGES",
    messageSubject: (partition, channel) => `${p}message.${partition}.${channelToken(channel)}`,
    partitionSubject: (partition) => `${p}message.${partition}.*`,
    messageWildcard: `${p}message.>`,
    deliverySubject: (channel) => `${p}delivery.${channelToken(channel)}`,
    deliveryWildcard: `${p}delivery.>`,
    signalSubject: (topic) => `${p}signal.${topic}`,
    leaseBucket: namespace ? `rtm_persist_${namespace}` : "rtm_persist",
    deadLetterStream: namespace ? `DEADLETTERS_${namespace}` : "DEADLETTERS",
    deadLetterSubject: (channel) => `${p}deadletter.${channel}`,
    deadLetterWildcard: `${p}deadletter.>`,
    eventStream: namespace ? `EVENTS_${namespace}` : "EVENTS",
    eventSubject: (partition, key) => `${p}event.${partition}.${channelToken(key)}`,
    eventPartitionSubject: (partition) => `${p}event.${partition}.*`,
    eventWildcard: `${p}event.>`,
  };
}
