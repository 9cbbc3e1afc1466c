import { AppError } from "../../../../shared/errors.ts";
import type { Namespaces } from "../../../../shared/namespaces/namespaces.ts";
import type { PublishRules } from "../ports/publish_rules.ts";

/**
 * A namespace's publishing rules: its body size limit for everyone, and for clients whether they
 * may publish at all (a server-only namespace takes publishes from the server API alone).
 */
export function namespacePublishRules(
  namespaces: Namespaces,
  origin: "client" | "server",
): PublishRules {
  return (channel, bodyBytes) => {
    const options = namespaces.of(channel);
    if (origin === "client" && !options.clientPublish) {
      throw new AppError("FORBIDDEN", `only the server publishes to ${channel}`);
    }
    if (options.maxBodyBytes !== undefined && bodyBytes > options.maxBodyBytes) {
      throw new AppError("TOO_LARGE", `body exceeds ${options.maxBodyBytes} bytes in ${channel}`);
    }
  };
}
