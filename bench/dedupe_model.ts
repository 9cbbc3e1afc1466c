/**
 * `deno run -A --v8-flags=--expose-gc bench/dedupe_model.ts [--tree=/path/to/another/checkout]`:
 * what the in-process broker (the single node's) keeps per message for its duplicate window. It
 * appends 300,000 messages through a journal, drops the log entries as a reader would, and prints
 * the heap left after a full GC per message, and the CPU time of the appends (bench/NOTES.md, fix
 * 22). Not part of `deno task bench`.
 */
const tree = Deno.args.find((a) => a.startsWith("--tree="))?.slice("--tree=".length) ??
  new URL("..", import.meta.url).pathname;
const { InProcessBroker } = await import(`${tree}/shared/broker/memory.ts`);
const N = 300_000;

/** utime + stime of this process, in seconds. */
async function cpuSeconds(): Promise<number> {
  const stat = await Deno.readTextFile("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const dir = await Deno.makeTempDir({ prefix: "dedupe-model-" });
try {
  const broker = await InProcessBroker.durable(`${dir}/journal.jsonl`, 120_000, 16);
  const sender = crypto.randomUUID();
  const cpu = await cpuSeconds();
  for (let i = 0; i < N; i += 1_000) {
    const appends = [];
    for (let j = i; j < i + 1_000; j++) {
      const m = {
        id: crypto.randomUUID(),
        channel: `c${j % 20}`,
        clientMsgId: `m${j}`,
        sender,
        body: "x",
        sentAt: new Date().toISOString(),
      };
      appends.push(broker.log.append(m, `${sender}:${m.channel}:${m.clientMsgId}`, 5_000));
    }
    await Promise.all(appends);
  }
  const spent = (await cpuSeconds()) - cpu;
  // What a reader that stored everything leaves: the duplicate window alone.
  (broker as unknown as { queues: unknown[][] }).queues.forEach((q) => q.length = 0);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const heap = Deno.memoryUsage().heapUsed;
  console.log(
    `${tree}: ${N} appends, ${Math.round((spent / N) * 1e6)} µs CPU each, heap after GC ` +
      `${(heap / 1048576).toFixed(1)} MiB = ${Math.round(heap / N)} B per message`,
  );
  await broker.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}
