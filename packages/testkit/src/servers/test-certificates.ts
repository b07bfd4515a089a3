import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './missing-binary-error.js';
import { createTempDir, removeTempDir } from './temp-dir.js';

/**
 * Creates a throw-away public key infrastructure with `openssl`, for servers started with TLS in tests:
 * a CA, a server certificate for `127.0.0.1` and `localhost` (usable as a client certificate too, as
 * cluster peers need), a client certificate, and an unrelated second CA with a client certificate of its
 * own (what a server must refuse, and a CA a client must not trust the server with). Certificates are
 * valid for 2 days; keys are written 0600. Runs in well under a second with EC keys.
 *
 * @throws MissingBinaryError when `openssl` is not installed.
 */
export function createTestCertificates(options: CreateTestCertificatesOptions = {}): TestCertificates {
  const openssl = requireBinary('openssl');
  const keyAlgorithm = options.keyAlgorithm ?? 'ec';
  const dir = createTempDir('lock-testkit-certs-');
  const run = (...args: string[]): void => {
    execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    const config = join(dir, 'openssl.cnf');
    writeFileSync(config, opensslConfig(options.serverNames ?? DEFAULT_SERVER_NAMES));
    const newKey = (name: string): string => {
      const file = join(dir, `${name}.key`);
      if (keyAlgorithm === 'rsa')
        run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file);
      else run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file);
      chmodSync(file, 0o600);
      return file;
    };
    const newCa = (name: string, commonName: string): CertificatePair => {
      const keyFile = newKey(name);
      const certFile = join(dir, `${name}.crt`);
      run(
        'req',
        '-config',
        config,
        '-x509',
        '-new',
        '-key',
        keyFile,
        '-subj',
        `/CN=${commonName}`,
        '-days',
        String(VALID_DAYS),
        '-extensions',
        'ca',
        '-out',
        certFile,
      );
      return pair(certFile, keyFile);
    };
    const newLeaf = (
      name: string,
      commonName: string,
      issuer: CertificatePair,
      profile: string,
    ): CertificatePair => {
      const keyFile = newKey(name);
      const requestFile = join(dir, `${name}.csr`);
      const certFile = join(dir, `${name}.crt`);
      run(
        'req',
        '-config',
        config,
        '-new',
        '-key',
        keyFile,
        '-subj',
        `/CN=${commonName}`,
        '-out',
        requestFile,
      );
      run(
        'x509',
        '-req',
        '-in',
        requestFile,
        '-CA',
        issuer.certFile,
        '-CAkey',
        issuer.keyFile,
        '-set_serial',
        String(nextSerial()),
        '-days',
        String(VALID_DAYS),
        '-extfile',
        config,
        '-extensions',
        profile,
        '-out',
        certFile,
      );
      return pair(certFile, keyFile);
    };

    const ca = newCa('ca', 'lock testkit CA');
    const server = newLeaf('server', 'localhost', ca, 'server');
    const client = newLeaf('client', options.clientCommonName ?? 'lock-client', ca, 'client');
    const untrustedCa = newCa('untrusted-ca', 'lock testkit untrusted CA');
    const untrustedClient = newLeaf(
      'untrusted-client',
      options.clientCommonName ?? 'lock-client',
      untrustedCa,
      'client',
    );
    return new TestCertificates(dir, ca, server, client, untrustedCa, untrustedClient);
  } catch (error) {
    removeTempDir(dir);
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl failed while creating test certificates${stderr ? `: ${stderr}` : ''}`, {
      cause: error,
    });
  }
}

/** Options for {@link createTestCertificates}. */
export interface CreateTestCertificatesOptions {
  /** `ec` (P-256, default: instant) or `rsa` (2048 bits, for a server that takes nothing else). */
  keyAlgorithm?: 'ec' | 'rsa';
  /** Common name of both client certificates (PostgreSQL's `clientcert=verify-full` maps it to a user). Default `lock-client`. */
  clientCommonName?: string;
  /** Subject alternative names of the server certificate. Default `['IP:127.0.0.1', 'DNS:localhost']`. */
  serverNames?: string[];
}

/** A certificate and its private key, as files and as PEM text. */
export interface CertificatePair {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** What {@link createTestCertificates} made; {@link close} removes the files. */
export class TestCertificates implements Disposable {
  /** @internal Use {@link createTestCertificates}. */
  constructor(
    /** Directory holding every file; removed by {@link close}. */
    readonly dir: string,
    /** The CA that signed {@link server} and {@link client}: what both sides trust. */
    readonly ca: CertificatePair,
    /** For `127.0.0.1` and `localhost`, extended key usage serverAuth and clientAuth. */
    readonly server: CertificatePair,
    /** Signed by {@link ca}, extended key usage clientAuth. */
    readonly client: CertificatePair,
    /** A CA nobody is told to trust. */
    readonly untrustedCa: CertificatePair,
    /** A client certificate signed by {@link untrustedCa}: a server trusting {@link ca} must refuse it. */
    readonly untrustedClient: CertificatePair,
  ) {}

  /**
   * Writes `pair` as a PKCS#12 bundle (certificate, key and the issuing chain) protected by `password`, for
   * servers whose key stores take nothing else (Java), and returns its path.
   */
  pkcs12(pair: CertificatePair, password: string, issuer: CertificatePair = this.ca): string {
    const file = pair.certFile.replace(/\.crt$/, '.p12');
    execFileSync(
      requireBinary('openssl'),
      [
        'pkcs12',
        '-export',
        '-in',
        pair.certFile,
        '-inkey',
        pair.keyFile,
        '-certfile',
        issuer.certFile,
        '-passout',
        `pass:${password}`,
        '-out',
        file,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    chmodSync(file, 0o600);
    return file;
  }

  /** Removes {@link dir}. */
  close(): void {
    removeTempDir(this.dir);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const VALID_DAYS = 2;
const DEFAULT_SERVER_NAMES = ['IP:127.0.0.1', 'DNS:localhost'];

let serial = Date.now();
/** Distinct serial numbers, so a client that caches certificates by issuer and serial never mixes two runs. */
function nextSerial(): number {
  serial += 1;
  return serial;
}

function pair(certFile: string, keyFile: string): CertificatePair {
  return {
    certFile,
    keyFile,
    certPem: readFileSync(certFile, 'utf8'),
    keyPem: readFileSync(keyFile, 'utf8'),
  };
}

/** Our own config, so the machine's openssl.cnf (and its default extensions) plays no part. */
function opensslConfig(serverNames: string[]): string {
  return `[req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = ${serverNames.join(',')}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;
}
