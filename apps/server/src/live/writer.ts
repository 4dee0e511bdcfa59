import type { ReadingInput } from "@emotion/db";

export interface ReadingWriterOptions {
  /** One multi-row insert (db.insertReadings); resolves once the rows are committed. */
  insert: (rows: ReadingInput[]) => Promise<number>;
  /** Group commit: write what is queued at least this often (default 200 ms)... */
  intervalMs?: number;
  /** ...or as soon as this many rows wait (default 1000); one insert takes up to 4× this many. */
  maxRows?: number;
  /** Called when the database cannot be reached (the rows stay queued and are retried with backoff). */
  onError?: (error: unknown, pendingRows: number) => void;
  /** Called for each row the database refuses for what it holds (it is set aside; the others are stored). */
  onQuarantine?: (row: ReadingInput, error: unknown) => void;
}

export interface WriterStats {
  stored: number;
  quarantined: number;
  /** Inserts that failed because the database could not be reached. */
  outages: number;
}

export interface ReadingWriter {
  /** Queues a row; resolves once it is committed, rejects with a QuarantinedRowError if it can never be. */
  write(row: ReadingInput): Promise<void>;
  /** write() without waiting (uploads and tests); a quarantined row is only counted and logged. */
  push(row: ReadingInput): void;
  /** Writes everything queued so far, retrying on an outage up to `attempts` times. */
  flush(attempts?: number): Promise<void>;
  /** Rows accepted but not yet stored. */
  readonly pending: number;
  readonly stored: number;
  readonly stats: Readonly<WriterStats>;
  /** Stops the timer and keeps writing until all is stored or `deadlineMs` has passed; answers the rows left. */
  close(deadlineMs?: number): Promise<number>;
}

/** The database refused this row for its content (a value out of range, a broken constraint); it is not retried. */
export class QuarantinedRowError extends Error {
  constructor(readonly reason: string) {
    super(`the reading could not be stored: ${reason}`);
    this.name = "QuarantinedRowError";
  }
}

interface Queued {
  row: ReadingInput;
  resolve: () => void;
  reject: (error: QuarantinedRowError) => void;
}

/**
 * True when the error is about the rows themselves, so that retrying the same rows can never succeed:
 * SQLSTATE class 22 (data exception: a timestamp out of range, a number too large) and 23 (integrity),
 * or the repository's own row check (a TypeError). Anything else (connection refused, admin shutdown,
 * a timeout) is an outage: the rows are kept and retried.
 */
export function isRowError(error: unknown): boolean {
  // Drivers' errors arrive wrapped (Drizzle's DrizzleQueryError holds the driver's error as its cause).
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TypeError || e instanceof RangeError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}

/** The database's own words (not Drizzle's "Failed query: <the whole SQL>"). */
const describe = (error: unknown): string => {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) return describe(cause);
  return error instanceof Error ? error.message : String(error);
};

/**
 * The readings' group commit. Rows queue here and are written at least every `intervalMs` in one
 * multi-row insert, one insert at a time (so a participant's rows stay in order and the pool stays free
 * for requests); each row's promise settles only when its insert has committed, and the listener is
 * acked only then, so an ack means stored. A failed insert is told apart by its cause: when the database
 * is away, every row stays queued and the insert is retried with backoff (never dropped); when the rows
 * themselves are refused, the batch is split in halves until the refused rows are isolated, those are
 * quarantined (their promise rejects with the reason) and every other row is stored. No batch is retried
 * forever for a row that can never be stored.
 */
export function createReadingWriter({ insert, intervalMs = 200, maxRows = 1000, onError, onQuarantine }: ReadingWriterOptions): ReadingWriter {
  let queue: Queued[] = [];
  let inFlight: Promise<boolean> | null = null;
  let inFlightRows = 0;
  let backoffUntil = 0;
  let failures = 0;
  const stats: WriterStats = { stored: 0, quarantined: 0, outages: 0 };
  let timer: NodeJS.Timeout | null = setInterval(() => void writeOnce(), intervalMs);
  timer.unref();

  function quarantine(item: Queued, error: unknown) {
    stats.quarantined++;
    onQuarantine?.(item.row, error);
    item.reject(new QuarantinedRowError(describe(error)));
  }

  /** Inserts `items`, splitting around refused rows; answers the items not written because the database is away. */
  async function insertIsolating(items: Queued[]): Promise<{ left: Queued[]; outage?: unknown }> {
    try {
      await insert(items.map((i) => i.row));
      stats.stored += items.length;
      for (const i of items) i.resolve();
      return { left: [] };
    } catch (error) {
      if (!isRowError(error)) return { left: items, outage: error };
      if (items.length === 1) {
        quarantine(items[0]!, error);
        return { left: [] };
      }
      const half = Math.ceil(items.length / 2);
      const first = await insertIsolating(items.slice(0, half));
      if (first.outage !== undefined) return { left: first.left.concat(items.slice(half)), outage: first.outage };
      return insertIsolating(items.slice(half));
    }
  }

  function writeOnce(): Promise<boolean> {
    if (inFlight) return inFlight;
    if (queue.length === 0 || Date.now() < backoffUntil) return Promise.resolve(queue.length === 0);
    const items = queue.splice(0, maxRows * 4);
    inFlightRows = items.length;
    inFlight = insertIsolating(items).then(({ left, outage }) => {
      inFlight = null;
      inFlightRows = 0;
      if (outage === undefined) {
        failures = 0;
        backoffUntil = 0;
        if (queue.length >= maxRows) void writeOnce();
        return true;
      }
      queue = left.concat(queue);
      failures++;
      stats.outages++;
      backoffUntil = Date.now() + Math.min(5000, 50 * 2 ** Math.min(failures, 7));
      onError?.(outage, queue.length);
      return false;
    });
    return inFlight;
  }

  async function flush(attempts = 5) {
    for (let failed = 0; failed < attempts;) {
      if (inFlight) await inFlight;
      if (queue.length === 0) return;
      const wait = backoffUntil - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!(await writeOnce())) failed++;
    }
  }

  function write(row: ReadingInput): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queue.push({ row, resolve, reject });
      if (queue.length >= maxRows && !inFlight) void writeOnce();
    });
  }

  return {
    write,
    push(row) {
      write(row).catch(() => undefined); // counted and logged through onQuarantine
    },
    flush,
    get pending() {
      return queue.length + inFlightRows;
    },
    get stored() {
      return stats.stored;
    },
    stats,
    async close(deadlineMs = 10_000) {
      if (timer) clearInterval(timer);
      timer = null;
      const deadline = Date.now() + deadlineMs;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
      for (;;) {
        // An insert can hang on a database that stopped answering: never past the deadline.
        if (inFlight) await Promise.race([inFlight, sleep(deadline - Date.now())]);
        if (queue.length + inFlightRows === 0) return 0;
        if (Date.now() >= deadline) return queue.length + inFlightRows;
        const wait = Math.min(backoffUntil - Date.now(), deadline - Date.now());
        if (wait > 0) await sleep(wait);
        await writeOnce();
      }
    },
  };
}
