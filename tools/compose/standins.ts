import { imageAvailable, must, run } from "./docker.ts";

/**
 * The images docker-compose.yml names, or local stand-ins where they cannot be pulled (no image
 * registry is reachable here). Stand-ins are built on a Debian root made by debootstrap and
 * imported once; its tag is reused by later runs, and docker's layer cache makes the stand-in
 * and service builds quick after the first run.
 */
export const UPSTREAM = {
  NATS_IMAGE: "nats:2.11-alpine",
  POSTGRES_IMAGE: "postgres:18-alpine",
  DENO_IMAGE: "denoland/deno:2.9.6",
};
const DENO_VERSION = "2.9.6";
const BASE = "rtm-standin/debian:bookworm";
const STANDINS = {
  NATS_IMAGE: { tag: "rtm-standin/nats:bookworm", dockerfile: "nats.Dockerfile" },
  POSTGRES_IMAGE: { tag: "rtm-standin/postgres:bookworm", dockerfile: "postgres.Dockerfile" },
  DENO_IMAGE: { tag: `rtm-standin/deno:${DENO_VERSION}`, dockerfile: "deno.Dockerfile" },
};
const STANDIN_DIR = new URL("../../docker/standins/", import.meta.url);
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export type Images = typeof UPSTREAM;

export async function resolveImages(log: (line: string) => void): Promise<Images> {
  const images = { ...UPSTREAM };
  const missing: (keyof Images)[] = [];
  for (const key of Object.keys(UPSTREAM) as (keyof Images)[]) {
    if (!await imageAvailable(UPSTREAM[key])) missing.push(key);
  }
  if (missing.length) await ensureBase(log);
  // In parallel: the deno one waits on npm, the others on Debian's mirror.
  await Promise.all(missing.map(async (key) => {
    const { tag, dockerfile } = STANDINS[key];
    log(`${UPSTREAM[key]} cannot be pulled: building the stand-in ${tag}`);
    await buildStandin(tag, dockerfile);
    images[key] = tag;
  }));
  return images;
}

/** `debootstrap --variant=minbase bookworm`, imported without apt lists, docs and locales. */
async function ensureBase(log: (line: string) => void): Promise<void> {
  if ((await run(["docker", "image", "inspect", BASE], { quiet: true })).success) return;
  log(`building ${BASE} with debootstrap (once; the tag is reused)`);
  const root = await Deno.makeTempDir({ prefix: "rtm-debian-root-" });
  try {
    await must(["debootstrap", "--variant=minbase", "bookworm", root], { quiet: true });
    const excluded = [
      "./var/lib/apt/lists/*",
      "./var/cache/apt/*.bin",
      "./usr/share/doc/*",
      "./usr/share/man/*",
      "./usr/share/locale/*",
    ].map((p) => `--exclude=${p}`).join(" ");
    await must([
      "bash",
      "-c",
      `set -o pipefail; tar -C '${root}' ${excluded} -c . | docker import - '${BASE}'`,
    ], { quiet: true });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Builds from docker/standins with the machine's CA bundle beside it (the deno one needs it). */
async function buildStandin(tag: string, dockerfile: string): Promise<void> {
  const context = await Deno.makeTempDir({ prefix: "rtm-standin-" });
  try {
    for await (const entry of Deno.readDir(STANDIN_DIR)) {
      await Deno.copyFile(new URL(entry.name, STANDIN_DIR), `${context}/${entry.name}`);
    }
    await Deno.copyFile(CA_BUNDLE, `${context}/ca-certificates.crt`);
    await must([
      "docker",
      "build",
      "-q",
      "-f",
      `${context}/${dockerfile}`,
      "--build-arg",
      `BASE_IMAGE=${BASE}`,
      "--build-arg",
      `DENO_VERSION=${DENO_VERSION}`,
      "-t",
      tag,
      context,
    ], { quiet: true });
  } finally {
    await Deno.remove(context, { recursive: true });
  }
}
