/**
 * Errors are values with a stable code. The wire protocol sends the code as is; the HTTP and gRPC
 * layers map it through the tables below, so one failure reads the same on every surface.
 */
import type { ErrorCode } from "../web/sdk/wire.ts";

// The codes are part of the wire contract, published with the SDK.
export { ERROR_CODES, type ErrorCode } from "../web/sdk/wire.ts";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds a client should wait before retrying (RATE_LIMITED). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const HTTP_STATUS: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503> = {
  INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** gRPC status numbers (see grpc/status.h), kept here so no domain code imports grpc-js. */
export const GRPC_STATUS: Record<ErrorCode, number> = {
  INVALID: 3, // INVALID_ARGUMENT
  UNAUTHENTICATED: 16,
  FORBIDDEN: 7, // PERMISSION_DENIED
  NOT_FOUND: 5,
  CONFLICT: 6, // ALREADY_EXISTS
  TOO_LARGE: 3, // INVALID_ARGUMENT
  RATE_LIMITED: 8, // RESOURCE_EXHAUSTED
  UNAVAILABLE: 14,
  INTERNAL: 13,
};

/** Any thrown value as an AppError; unknown failures become INTERNAL without leaking details. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError("INTERNAL", "internal error");
}

/** The one JSON error shape every HTTP surface returns. */
export function errorBody(err: AppError): { error: { code: ErrorCode; message: string } } {
  return { error: { code: err.code, message: err.message } };
}
