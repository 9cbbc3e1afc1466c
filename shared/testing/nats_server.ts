import { freePort } from "../net.ts";
import { eventually } from "./eventually.ts";

export interface NatsServerProcess {
  url: string;
  port: number;
  storeDir: string;
  /** Stops the server (SIGTERM, or SIGKILL with `kill`); JetStream data stays in storeDir. */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and store, as after a crash or an upgrade. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that hangs with its connections open, as a stalled broker. */
  freeze(): Promise<void>;
  thaw(): void;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  return eventually(
    `nats-server listening on ${port}`,
    () => Deno.connect({ hostname: "127.0.0.1", port }).then((c) => (c.close(), true), () => false),
    { timeoutMs },
  );
}

/**
 * A nats-server of our own (Debian's binary) with JetStream on a free port, for tests that stop
 * and restart the broker; never the shared one on 4222.
 */
export async function startNatsServer(
  opts: { port?: number; storeDir?: string; binary?: string; args?: string[] } = {},
): Promise<NatsServerProcess> {
  const port = opts.port ?? freePort();
  const storeDir = opts.storeDir ?? await Deno.makeTempDir({ prefix: "rtm-nats-" });
  const binary = opts.binary ?? Deno.env.get("NATS_SERVER_BIN") ?? "nats-server";
  let child: Deno.ChildProcess;
  const spawn = async () => {
    child = new Deno.Command(binary, {
      args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...opts.args ?? []],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitForPort(port, 10_000);
  };
  await spawn();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: async ({ kill } = {}) => {
      try {
        child.kill(kill ? "SIGKILL" : "SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
    restart: spawn,
    freeze: async () => {
      child.kill("SIGSTOP");
      // The signal is delivered asynchronously: wait until Linux reports the process stopped.
      const stat = `/proc/${child.pid}/stat`;
      await eventually(
        "nats-server stopped",
        async () => /^\d+ \(.*\) T /.test(await Deno.readTextFile(stat)),
        { timeoutMs: 5_000, everyMs: 10 },
      );
    },
    thaw: () => child.kill("SIGCONT"),
  };
}
