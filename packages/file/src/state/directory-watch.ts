import { type FSWatcher, watch } from 'node:fs';

/**
 * Watches the lock directory for files deleted, renamed or created (`rename` events), so a holder whose lock
 * file is deleted or replaced learns it at once, without polling. Content changes (`change`: every grant
 * writes its token) are ignored. The watcher never keeps the process alive; it is started with the first
 * grant and ends with the provider. If the directory itself goes (deleted, unmounted), the watch reports
 * once with no file name and ends; the next grant starts a new one.
 * @internal
 */
export class DirectoryWatch {
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly directory: string,
    /** A file of the directory changed name (or, with `null`, something unknown happened to the directory). */
    private readonly onRename: (fileName: string | null) => void,
  ) {}

  /** Starts watching if not watching yet (cheap to call on every grant). */
  ensure(): void {
    if (this.watcher !== undefined) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(this.directory, { persistent: false });
    } catch {
      // The directory is gone this instant: the grant's own path check decides; the next grant tries again.
      return;
    }
    watcher.on('change', (eventType, fileName) => {
      if (eventType === 'rename') this.onRename(typeof fileName === 'string' ? fileName : null);
    });
    watcher.on('error', () => {
      this.close();
      this.onRename(null);
    });
    this.watcher = watcher;
  }

  /** Stops watching (the next {@link ensure} starts again). */
  close(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    watcher?.close();
  }
}
