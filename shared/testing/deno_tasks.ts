/** deno.json's tasks; the file may carry `//` comment lines (JSONC), which JSON.parse refuses. */
export async function denoTasks(): Promise<Record<string, string>> {
  const text = await Deno.readTextFile(new URL("../../deno.json", import.meta.url));
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, "")).tasks;
}
