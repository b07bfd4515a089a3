import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCNotImplementedError,
  GRPCOutOfRangeError,
  GRPCProtocolError,
  GRPCUnauthenticatedError,
} from 'etcd3';
import { EtcdAccessError } from './etcd-access-error.js';

/** Errors that repeating the same request cannot cure: the server refused it, not the network. */
const REFUSALS: readonly (abstract new (...args: never[]) => Error)[] = [
  ClientClosedError,
  EtcdAccessError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCNotImplementedError,
  GRPCOutOfRangeError,
  GRPCProtocolError,
  GRPCUnauthenticatedError,
];

/** gRPC codes of the same refusals, for errors etcd3 did not cast: INVALID_ARGUMENT, PERMISSION_DENIED, ... */
const REFUSAL_CODES = new Set([3, 7, 9, 11, 12, 16]);

/**
 * True when a failed etcd request may succeed if sent again (unreachable, timed out, electing, an open
 * breaker, or anything unknown); false when etcd refused it (permission denied, invalid argument, bad auth,
 * a closed client), which a waiter must report instead of retrying forever.
 * @internal
 */
export function isRetryableError(error: unknown): boolean {
  if (REFUSALS.some((refusal) => error instanceof refusal)) return false;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return !(typeof code === 'number' && REFUSAL_CODES.has(code));
}
