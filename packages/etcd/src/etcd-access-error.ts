/** Why etcd would not let this client in. */
export type EtcdAccessProblem =
  /** The server's certificate is not signed by a trusted CA (`tls.caFile`), or not issued for the host. */
  | 'server-certificate-untrusted'
  /** The server requires a client certificate and none is configured (`tls.certFile`, `tls.keyFile`). */
  | 'client-certificate-missing'
  /** The server refused the configured client certificate (not signed by a CA it trusts, or expired). */
  | 'client-certificate-refused'
  /** etcd rejected the user name or password (`auth`). */
  | 'authentication-failed'
  /** etcd has authentication enabled and this provider has no `auth` setting. */
  | 'authentication-required';

/**
 * etcd refused this client's credentials: a TLS handshake that failed on a certificate, or a user name and
 * password it rejected. It travels as the `cause` of a `LockBackendError`, naming the setting to fix; the
 * gRPC error is its own `cause`. Its message never holds a password or a key.
 */
export class EtcdAccessError extends Error {
  /** What was refused. */
  readonly problem: EtcdAccessProblem;

  constructor(problem: EtcdAccessProblem, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'EtcdAccessError';
    this.problem = problem;
  }
}
