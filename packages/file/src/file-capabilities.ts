import type { Capabilities } from '@lock/core';

const CAPABILITIES: Capabilities = Object.freeze({
  backend: 'file',
  // Every process of this machine that uses the same directory (the default one is per user).
  scope: 'host',
  // The lock lives in the kernel: a reboot ends it (the token counter tries to survive; see the README).
  durability: 'memory',
  // A waiter is woken by the kernel when the lock frees; nobody polls.
  waiting: 'push',
  // FIFO among the waiters of one process; across processes the kernel decides.
  fifo: false,
  fencing: true,
  // A dead holder's grant is freed by the kernel at once: no TTL to wait out, none to choose.
  leases: true,
  // Readers take the kernel's shared lock; a turnstile keeps a waiting writer ahead of later readers.
  readWrite: true,
  // No semaphore: waiting by push for any of N slot files needs a waiter per slot (see the README).
  semaphore: false,
});

/**
 * What a file provider and its locks declare, whatever the settings (the directory changes where, not what):
 * the `file` kind's capabilities. One frozen object.
 */
export function fileCapabilities(_settings?: unknown): Capabilities {
  return CAPABILITIES;
}
