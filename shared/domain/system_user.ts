/**
 * The sender of what a backend publishes as itself (server API without `sender`). Migration 00009
 * creates this user; nobody can log in as it.
 */
export const SYSTEM_USER_ID = "00000000-0000-0000-0000-000000000000";
