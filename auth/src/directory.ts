import { AppError } from "../../shared/errors.ts";
import { validate } from "../../shared/validation/invalid.ts";
import {
  LookupInput,
  type ProfileList,
  ProfileUpdate,
  type ProfileView,
  UserSearch,
  type UserView,
} from "./schemas.ts";
import { userView } from "./service.ts";
import type { AttemptThrottle } from "./throttle.ts";
import type { UserDirectory, UserStore } from "./stores.ts";

/** Search answers at most this many people: enough to pick one, too few to page the directory. */
const SEARCH_LIMIT = 20;

/**
 * Profiles and the user directory, for callers already authenticated: one's own account (with
 * email, editable name), and other people by id or by search (name and id only — an email is
 * matched when typed in full, never shown).
 */
export class Directory {
  constructor(
    private readonly users: UserStore & UserDirectory,
    private readonly searches: AttemptThrottle,
  ) {}

  async me(userId: string): Promise<UserView> {
    const user = await this.users.byId(userId);
    if (!user) throw new AppError("UNAUTHENTICATED", "invalid or expired token");
    return userView(user);
  }

  async update(userId: string, raw: unknown): Promise<UserView> {
    const { displayName } = validate(ProfileUpdate, raw);
    const user = await this.users.rename(userId, displayName);
    if (!user) throw new AppError("UNAUTHENTICATED", "invalid or expired token");
    return userView(user);
  }

  async profile(id: string): Promise<ProfileView> {
    const [found] = await this.users.profiles([id]);
    if (!found) throw new AppError("NOT_FOUND", `no user ${id}`);
    return found;
  }

  /** The ids that exist, in the order asked; unknown ones are left out. */
  async lookup(raw: unknown): Promise<ProfileList> {
    const { ids } = validate(LookupInput, raw);
    const found = new Map((await this.users.profiles(ids)).map((p) => [p.id, p]));
    return { users: [...new Set(ids)].flatMap((id) => found.get(id) ?? []) };
  }

  async search(userId: string, raw: unknown): Promise<ProfileList> {
    const { query } = validate(UserSearch, raw);
    this.searches.reserve([`user:${userId}`]);
    return { users: await this.users.search(query, SEARCH_LIMIT) };
  }
}
