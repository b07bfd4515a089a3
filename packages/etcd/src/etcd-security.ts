import { connect, rootCertificates } from 'node:tls';
import { InvalidArgumentError, readPasswordFile, readPemOrFile } from '@lock/core';
import { EtcdAuthenticationFailedError, EtcdPermissionDeniedError, type IOptions } from 'etcd3';
import * as v from 'valibot';
import { EtcdAccessError } from './etcd-access-error.js';

/**
 * What a provider presents to etcd, read from the `tls` and `auth` settings: etcd3's `credentials` (PEM
 * buffers) and `auth`. The password and the private key live only here and in etcd3: never in a message, a
 * description or an error.
 * @internal
 */
export interface EtcdSecurity {
  readonly options: Pick<IOptions, 'credentials' | 'auth'>;
  /** What a refusal is explained with: which settings were given (file names, the user; no secrets). */
  readonly facts: EtcdSecurityFacts;
}

/** Which settings were given, for explaining a refusal. @internal */
export interface EtcdSecurityFacts {
  /** True with a `tls` setting. */
  readonly tls?: boolean | undefined;
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly username?: string | undefined;
}

const FILE_EXPECTED = 'a file path';

function fileSetting(description: string) {
  return v.optional(
    v.pipe(v.string(FILE_EXPECTED), v.minLength(1, FILE_EXPECTED), v.description(description)),
  );
}

/** The `tls` setting: PEM files for https endpoints (read when the provider is made). */
export const etcdTlsSettings = v.pipe(
  v.strictObject(
    {
      caFile: fileSetting(
        "PEM file of the CA(s) that signed the servers' certificates (etcd's --trusted-ca-file); default: the system's CAs.",
      ),
      certFile: fileSetting(
        "PEM file of this client's certificate (with its chain), for servers started with --client-cert-auth; with keyFile.",
      ),
      keyFile: fileSetting("PEM file of the client certificate's private key; with certFile. Never printed."),
    },
    'an object such as { "caFile": "ca.crt", "certFile": "client.crt", "keyFile": "client.key" }',
  ),
  v.check(
    (tls) => (tls.certFile === undefined) === (tls.keyFile === undefined),
    'an object with both certFile and keyFile, or neither',
  ),
  v.description(
    'TLS for https:// endpoints: the CA to trust and, for client-certificate authentication, a certificate and key.',
  ),
);

/** The `auth` setting: etcd user name and password (etcd3's `auth`). */
export const etcdAuthSettings = v.pipe(
  v.strictObject(
    {
      username: v.pipe(
        v.string('a user name'),
        v.minLength(1, 'a user name'),
        v.description('etcd user (`etcdctl user add`) whose roles grant read and write on the lock keys.'),
      ),
      password: v.optional(
        v.pipe(
          v.string('a non-empty string'),
          v.minLength(1, 'a non-empty string'),
          v.description('Password (or passwordFile). Never printed.'),
        ),
      ),
      passwordFile: fileSetting(
        'File whose first line is the password, read when the provider is made (instead of password).',
      ),
    },
    'an object such as { "username": "app", "passwordFile": "/run/secrets/etcd" }',
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { password, passwordFile } = dataset.value;
    if ((password === undefined) === (passwordFile === undefined)) {
      // Reported at passwordFile with the file as the value: an issue's value is kept on the error, and the
      // object as a whole holds the password.
      addIssue({
        message:
          password === undefined
            ? 'a passwordFile, or a password'
            : 'no passwordFile beside a password (one of them)',
        input: passwordFile,
        path: [
          { type: 'object', origin: 'value', input: dataset.value, key: 'passwordFile', value: passwordFile },
        ],
      });
    }
  }),
  v.description('User and password authentication (etcd with `auth enable`).'),
);

/** The `tls` setting as a configuration holds it. */
export type EtcdTlsConfig = v.InferInput<typeof etcdTlsSettings>;
/** The `auth` setting as a configuration holds it. */
export type EtcdAuthConfig = v.InferInput<typeof etcdAuthSettings>;

/**
 * Reads the files `tls` and `auth` name, once, when the provider is made. A file that cannot be read throws
 * `InvalidArgumentError` naming the setting and the file (its errno), never its content.
 * @internal
 */
export function readSecurity(
  tls: EtcdTlsConfig | undefined,
  auth: EtcdAuthConfig | undefined,
  path: string,
): EtcdSecurity {
  const read = (setting: string, file: string): Buffer =>
    Buffer.from(readPemOrFile(file, `${path}.${setting}`));
  const options: { -readonly [K in keyof EtcdSecurity['options']]: EtcdSecurity['options'][K] } = {};
  if (tls !== undefined) {
    options.credentials = {
      // etcd3 needs a root to trust; without caFile, the system's CAs (tls.rootCertificates).
      rootCertificate:
        tls.caFile === undefined ? Buffer.from(rootCertificates.join('\n')) : read('tls.caFile', tls.caFile),
      ...(tls.certFile !== undefined && tls.keyFile !== undefined
        ? { certChain: read('tls.certFile', tls.certFile), privateKey: read('tls.keyFile', tls.keyFile) }
        : {}),
    };
  }
  if (auth !== undefined) {
    let password = auth.password;
    if (password === undefined) {
      const file = auth.passwordFile as string;
      password = readPasswordFile(file, `${path}.auth.passwordFile`);
      if (password === '') {
        throw new InvalidArgumentError(
          `${path}.auth.passwordFile`,
          file,
          'a file whose first line is the password',
        );
      }
    }
    options.auth = { username: auth.username, password };
  }
  return {
    options,
    facts: { tls: tls !== undefined, caFile: tls?.caFile, certFile: tls?.certFile, username: auth?.username },
  };
}

/** TLS alerts a server sends when it refuses the client's certificate (or the lack of one). */
const CLIENT_REFUSED =
  /alert (bad certificate|certificate required|unknown ca|certificate unknown|certificate expired|handshake failure)/i;
/** What Node's TLS says when it does not trust the server's certificate. */
const SERVER_UNTRUSTED =
  /unable to verify|self[- ]signed certificate|unable to get (local )?issuer|certificate has expired|certificate is not yet valid|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME/i;

/**
 * `error` in words when etcd refused this client's credentials: an {@link EtcdAccessError} naming what to
 * fix (the gRPC error as its cause); `undefined` for any other failure.
 * @internal
 */
export function explainAccessFailure(error: unknown, facts: EtcdSecurityFacts): EtcdAccessError | undefined {
  if (!(error instanceof Error) || error instanceof EtcdAccessError) return undefined;
  if (error instanceof EtcdAuthenticationFailedError) {
    return new EtcdAccessError(
      'authentication-failed',
      `etcd rejected the user name or password of user ${JSON.stringify(facts.username ?? '')} (auth.username, auth.password or auth.passwordFile)`,
      { cause: error },
    );
  }
  // etcd answers a request without a token "user name is empty" (3.4) or "permission denied".
  const unauthenticated =
    error instanceof EtcdPermissionDeniedError || /etcdserver: user name is empty/.test(error.message);
  if (unauthenticated && facts.username === undefined) {
    return new EtcdAccessError(
      'authentication-required',
      'etcd refused an unauthenticated request: authentication is enabled on the server and this provider has no auth setting',
      { cause: error },
    );
  }
  const message = error.message;
  if (CLIENT_REFUSED.test(message)) {
    return facts.certFile === undefined
      ? new EtcdAccessError(
          'client-certificate-missing',
          'the TLS handshake failed: the server requires a client certificate and none is configured (tls.certFile and tls.keyFile)',
          { cause: error },
        )
      : new EtcdAccessError(
          'client-certificate-refused',
          `the TLS handshake failed: the server refused the client certificate tls.certFile ${JSON.stringify(facts.certFile)} (not signed by a CA the server trusts, or expired)`,
          { cause: error },
        );
  }
  if (SERVER_UNTRUSTED.test(message)) {
    return new EtcdAccessError(
      'server-certificate-untrusted',
      `the TLS handshake failed: the server's certificate is not trusted (${
        facts.caFile === undefined
          ? 'no tls.caFile is set, and the system CAs do not vouch for it'
          : `not signed by the CA in tls.caFile ${JSON.stringify(facts.caFile)}`
      }, or not issued for the endpoint's host)`,
      { cause: error },
    );
  }
  return undefined;
}

/** How long a diagnostic handshake may take, and how long after it a refusal of the certificate may come. */
const PROBE_TIMEOUT_MS = 2_000;
const PROBE_SETTLE_MS = 300;

/**
 * Why TLS connections to `endpoints` fail, when gRPC's error does not say (it often reports only "No
 * connection established. Last error: null"): one handshake per endpoint with the same credentials, the
 * first TLS error text found, or `undefined` when every handshake succeeds or the endpoints are unreachable.
 * Only on a failure path, never on a healthy one.
 * @internal
 */
export async function probeTls(
  endpoints: readonly string[],
  credentials: NonNullable<IOptions['credentials']>,
): Promise<string | undefined> {
  const attempts = endpoints.map((endpoint) => handshakeError(endpoint, credentials));
  for (const found of await Promise.all(attempts)) if (found !== undefined) return found;
  return undefined;
}

function handshakeError(
  endpoint: string,
  credentials: NonNullable<IOptions['credentials']>,
): Promise<string | undefined> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (found: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(found);
    };
    const socket = connect({
      host: url.hostname,
      port: Number(url.port || 443),
      ca: credentials.rootCertificate,
      cert: credentials.certChain,
      key: credentials.privateKey,
      ALPNProtocols: ['h2'],
      // As gRPC: a server name only for a host name (an IP address is checked against the certificate's IPs).
      ...(/^[\d.]+$/.test(url.hostname) ? {} : { servername: url.hostname }),
    });
    const timer = setTimeout(() => finish(undefined), PROBE_TIMEOUT_MS);
    // With TLS 1.3 a server refuses the client's certificate after the handshake: wait a moment for it.
    socket.once('secureConnect', () => setTimeout(() => finish(undefined), PROBE_SETTLE_MS).unref());
    socket.once('error', (error: Error) => {
      const code = (error as NodeJS.ErrnoException).code;
      // Unreachable is not a TLS problem: the gRPC error says that well enough.
      finish(
        code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' ? undefined : `${error.message} ${code ?? ''}`,
      );
    });
  });
}
