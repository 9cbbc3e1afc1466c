import assert from "node:assert/strict";
import { type ServiceProcess, stopCleanly } from "./infra.ts";

function fakeService(port: number, exitCode: number, stopped = false) {
  const calls: string[] = [];
  const p: ServiceProcess = {
    port,
    child: undefined as unknown as Deno.ChildProcess,
    logs: () => `log of ${port}`,
    stopped,
    stop: (signal = "SIGTERM") => {
      calls.push(signal);
      return Promise.resolve(exitCode);
    },
  };
  return { p, calls };
}

Deno.test("stopCleanly: stops what the test left running, and fails on a non-zero exit", async () => {
  const clean = fakeService(1, 0);
  const killedByTest = fakeService(2, 137, true);
  await stopCleanly([clean.p, killedByTest.p]);
  assert.deepEqual(clean.calls, ["SIGTERM"]);
  assert.deepEqual(killedByTest.calls, []);

  const crashed = fakeService(3, 1);
  await assert.rejects(
    stopCleanly([fakeService(4, 0).p, crashed.p]),
    /port 3 exited 1:\nlog of 3/,
  );
});
