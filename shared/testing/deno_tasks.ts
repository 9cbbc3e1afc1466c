export interface DenoTask {
  command: string;
  /** Tasks deno runs first. */
  dependencies: string[];
}

/**
 * deno.json's tasks, each as its command and dependencies whether written as a string or an
 * object; the file may carry `//` comment lines (JSONC), which JSON.parse refuses.
 */
export async function denoTasks(): Promise<Record<string, DenoTask>> {
  const text = await Deno.readTextFile(new URL("../../deno.json", import.meta.url));
  const tasks: Record<string, string | Partial<DenoTask>> = JSON.parse(
    text.replace(/^\s*\/\/.*$/gm, ""),
  ).tasks;
  return Object.fromEntries(
    Object.entries(tasks).map(([name, task]) => [
      name,
      typeof task === "string"
        ? { command: task, dependencies: [] }
        : { command: task.command ?? "", dependencies: task.dependencies ?? [] },
    ]),
  );
}
