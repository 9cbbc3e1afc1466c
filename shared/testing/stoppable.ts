/**
 * A process for shared/http/serve.test.ts: handles shutdown signals as the services do, with a
 * shutdown that takes `Deno.args[0]` ms and prints "stopped" when done.
 */
import { onShutdownSignal } from "../http/serve.ts";
import { createLogger } from "../logging/logger.ts";
import { sleep } from "../async/sleep.ts";

const stopMs = Number(Deno.args[0]);
const idle = setInterval(() => {}, 1_000);
onShutdownSignal(createLogger({ service: "stoppable" }), async () => {
  await sleep(stopMs);
  clearInterval(idle);
  console.log("stopped");
});
console.log("ready");
