/** Another user as the directory shows them (no email). */
export interface Profile {
  id: string;
  displayName: string;
}

/** The server's batch lookup takes at most this many ids. */
const LOOKUP_BATCH = 100;

type Call = <T>(path: string, method?: string, body?: unknown) => Promise<T>;

/**
 * Profiles by id, cached for the session: a page asks for every id it shows, often, and each is
 * fetched once (in batches; concurrent asks for the same id share one request). An id the server
 * does not know stays unresolved and is asked again later.
 */
export class Profiles {
  private readonly known = new Map<string, Profile>();
  private readonly inflight = new Map<string, Promise<Profile | undefined>>();

  constructor(private readonly call: Call) {}

  cached(id: string): Profile | undefined {
    return this.known.get(id);
  }

  remember(profile: Profile): void {
    this.known.set(profile.id, { id: profile.id, displayName: profile.displayName });
  }

  async get(ids: Iterable<string>): Promise<Map<string, Profile>> {
    const wanted = [...new Set(ids)];
    const missing = wanted.filter((id) => !this.known.has(id) && !this.inflight.has(id));
    for (let i = 0; i < missing.length; i += LOOKUP_BATCH) {
      this.fetch(missing.slice(i, i + LOOKUP_BATCH));
    }
    await Promise.all(wanted.map((id) => this.inflight.get(id)));
    const found = new Map<string, Profile>();
    for (const id of wanted) {
      const p = this.known.get(id);
      if (p) found.set(id, p);
    }
    return found;
  }

  private fetch(ids: string[]): void {
    const batch = this.call<{ users: Profile[] }>("/v1/users/lookup", "POST", { ids }).then(
      ({ users }) => users.forEach((p) => this.remember(p)),
    ).finally(() => ids.forEach((id) => this.inflight.delete(id)));
    for (const id of ids) this.inflight.set(id, batch.then(() => this.known.get(id)));
  }
}
