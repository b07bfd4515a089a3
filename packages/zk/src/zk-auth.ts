import { readFile } from 'node:fs/promises';
import { LockBackendError } from '@lock/core';
import * as v from 'valibot';
import type { ZooKeeperAcl } from './zookeeper-client.js';

/**
 * The credentials a session presents, `scheme` and ZooKeeper's auth string (`user:password` for digest).
 * The password lives only here and in the native client: never in a message, a description or an error.
 * @internal
 */
export interface ZooKeeperCredentials {
  readonly scheme: 'digest';
  readonly username: string;
  /** `user:password`, as `add_auth` takes it. */
  readonly secret: string;
}

/**
 * The ACL of every node this package creates when the provider authenticates: ZooKeeper's "creator all"
 * (`auth` scheme, empty id), which the server turns into the creating session's own identity
 * (`digest:user:<hash>`). Creating and deleting a child needs CREATE and DELETE on its parent, so a client
 * without the credentials can neither queue under a lock nor remove a holder's node; and only the owner can
 * write a node's data (a semaphore's grant announcement).
 * @internal
 */
export const CREATOR_ALL_ACL: readonly ZooKeeperAcl[] = [{ perms: 31, scheme: 'auth', auth: '' }];

const USERNAME_EXPECTED = 'a user name without ":"';
const FILE_EXPECTED = 'a file path';

/**
 * The `auth` setting: digest authentication (`add_auth('digest', 'user:password')`), with the password
 * inline or, better for a configuration file, in a file of its own read each time a session opens.
 */
export const zkAuthSettings = v.pipe(
  v.strictObject(
    {
      scheme: v.pipe(
        v.literal('digest', 'the authentication scheme "digest"'),
        v.description('Authentication scheme: "digest" (user name and password).'),
      ),
      username: v.pipe(
        v.string(USERNAME_EXPECTED),
        v.minLength(1, USERNAME_EXPECTED),
        v.check((username) => !username.includes(':'), USERNAME_EXPECTED),
        v.description("Digest user: the identity the lock nodes' ACL grants everything to."),
      ),
      password: v.optional(
        v.pipe(
          v.string('a non-empty string'),
          v.minLength(1, 'a non-empty string'),
          v.description('Digest password (or passwordFile). Never printed.'),
        ),
      ),
      passwordFile: v.optional(
        v.pipe(
          v.string(FILE_EXPECTED),
          v.minLength(1, FILE_EXPECTED),
          v.description(
            'File whose first line is the password, read when a session opens (instead of password).',
          ),
        ),
      ),
    },
    'an object such as { "scheme": "digest", "username": "app", "passwordFile": "/run/secrets/zk" }',
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
  v.description(
    'Digest authentication: every node the provider creates gets the "creator all" ACL, so clients without these credentials cannot create, delete or change lock nodes.',
  ),
);

/** The `auth` setting as a configuration holds it. */
export type ZooKeeperAuthConfig = v.InferInput<typeof zkAuthSettings>;

/**
 * The credentials of `auth`, reading `passwordFile` (its first line) now. A file that cannot be read fails
 * with a `LockBackendError` naming the file, never its content.
 * @internal
 */
export async function loadCredentials(auth: ZooKeeperAuthConfig): Promise<ZooKeeperCredentials> {
  let password = auth.password;
  if (password === undefined) {
    const file = auth.passwordFile as string;
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new LockBackendError('zk', 'connect', {
        detail: `auth.passwordFile ${JSON.stringify(file)} could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      });
    });
    password = text.split(/\r?\n/, 1)[0] ?? '';
    if (password === '') {
      throw new LockBackendError('zk', 'connect', {
        detail: `auth.passwordFile ${JSON.stringify(file)} holds no password on its first line`,
      });
    }
  }
  return { scheme: auth.scheme, username: auth.username, secret: `${auth.username}:${password}` };
}
