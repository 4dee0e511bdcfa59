import type { ReadingInput } from "@emotion/db";

export interface ReadingWriterOptions {
  /** One multi-row insert (db.insertReadings). */
  insert: (rows: ReadingInput[]) => Promise<number>;
  /** Flush at least this often (default 250 ms)... */
  intervalMs?: number;
  /** ...or as soon as this many rows wait (default 1000). */
  maxRows?: number;
  onError?: (error: unknown, pendingRows: number) => void;
}

export interface ReadingWriter {
  push(row: ReadingInput): void;
  /** Writes everything buffered so far (retrying on failure up to `attempts` times). */
  flush(attempts?: number): Promise<void>;
  /** Rows accepted but not yet stored. */
  readonly pending: number;
  readonly stored: number;
  /** Stops the timer and flushes what is left. */
  close(): Promise<void>;
}

/**
 * Write-behind buffer for readings: no database round trip per reading. A failed insert puts its rows
 * back at the head of the buffer and is retried on the next tick, so accepted readings are never dropped.
 */
export function createReadingWriter({ insert, intervalMs = 250, maxRows = 1000, onError }: ReadingWriterOptions): ReadingWriter {
  let buffer: ReadingInput[] = [];
  let inFlight: Promise<boolean> | null = null;
  let stored = 0;
  let inFlightRows = 0;
  let failures = 0;
  let timer: NodeJS.Timeout | null = setInterval(() => void writeOnce(), intervalMs);
  timer.unref();

  // One insert at a time keeps rows of a participant in order and the pool free for requests.
  function writeOnce(): Promise<boolean> {
    if (inFlight) return inFlight;
    if (buffer.length === 0) return Promise.resolve(true);
    const rows = buffer.splice(0, maxRows * 4);
    inFlightRows = rows.length;
    inFlight = insert(rows)
      .then(() => {
        stored += rows.length;
        failures = 0;
        return true;
      })
      .catch((error: unknown) => {
        buffer = rows.concat(buffer);
        failures++;
        onError?.(error, buffer.length);
        return false;
      })
      .finally(() => {
        inFlight = null;
        inFlightRows = 0;
        if (buffer.length >= maxRows && failures === 0) void writeOnce();
      });
    return inFlight;
  }

  async function flush(attempts = 5) {
    for (let failed = 0; failed < attempts; ) {
      if (inFlight) await inFlight;
      if (buffer.length === 0) return;
      if (!(await writeOnce())) {
        failed++;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** failed)));
      }
    }
  }

  return {
    push(row) {
      buffer.push(row);
      if (buffer.length >= maxRows) void writeOnce();
    },
    flush,
    get pending() {
      return buffer.length + inFlightRows;
    },
    get stored() {
      return stored;
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      await flush(10);
    },
  };
}
