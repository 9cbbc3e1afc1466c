import { z } from "@hono/zod-openapi";

/** Input rules shared by the HTTP façade and gRPC, so both refuse the same things the same way. */
export const Email = z.string().trim().toLowerCase().pipe(z.email().max(254)).openapi({
  example: "ada@example.com",
});
export const Password = z.string().min(8, "must be at least 8 characters").max(
  128,
  "must be at most 128 characters",
).openapi({ example: "correct horse battery" });
// Control characters are stripped rather than refused: they are invisible and never meant.
export const DisplayName = z.string().transform((s) => s.replace(/\p{Cc}/gu, "").trim()).pipe(
  z.string().min(1, "must not be empty").max(64),
).openapi({ example: "Ada" });

export const RegisterInput = z.object({
  email: Email,
  password: Password,
  displayName: DisplayName.optional(),
}).openapi("RegisterRequest");
export type RegisterInput = z.infer<typeof RegisterInput>;

export const LoginInput = z.object({
  email: Email,
  password: z.string().min(1).max(128),
}).openapi("LoginRequest");
export type LoginInput = z.infer<typeof LoginInput>;

export const UserView = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  createdAt: z.string(),
}).openapi("User");
export type UserView = z.infer<typeof UserView>;

/** What registering answers: only what the caller sent, the same whether the email was free. */
export const RegistrationView = z.object({
  email: z.string(),
  displayName: z.string(),
}).openapi("Registration");
export type RegistrationView = z.infer<typeof RegistrationView>;

export const TokenView = z.object({
  accessToken: z.string(),
  tokenType: z.literal("Bearer"),
  /** Seconds until the access token expires: refresh a little before. */
  expiresIn: z.number().int(),
  refreshToken: z.string(),
  refreshExpiresIn: z.number().int(),
  user: UserView,
}).openapi("Token");
export type TokenView = z.infer<typeof TokenView>;

/** Refresh and logout both take the refresh token alone. */
export const RefreshInput = z.object({
  refreshToken: z.string().min(1, "is required").max(512),
}).openapi("RefreshRequest");
export type RefreshInput = z.infer<typeof RefreshInput>;

/** Another user as anyone signed in sees them: no email. */
export const ProfileView = z.object({
  id: z.uuid(),
  displayName: z.string(),
}).openapi("Profile");
export type ProfileView = z.infer<typeof ProfileView>;

export const ProfileList = z.object({ users: z.array(ProfileView) }).openapi("ProfileList");
export type ProfileList = z.infer<typeof ProfileList>;

export const ProfileUpdate = z.object({ displayName: DisplayName }).openapi("ProfileUpdate");
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

/** The ids a page shows (senders, people online, DM peers), looked up in one request. */
export const LookupInput = z.object({
  ids: z.array(z.uuid()).min(1).max(100),
}).openapi("UserLookup");
export type LookupInput = z.infer<typeof LookupInput>;

export const UserSearch = z.object({
  query: z.string().trim().min(2, "must be at least 2 characters").max(254).openapi({
    param: { name: "query", in: "query" },
    example: "ada",
  }),
});
export type UserSearch = z.infer<typeof UserSearch>;

export const UserIdParam = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
