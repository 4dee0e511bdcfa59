import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "@emotion/protocol";

/** 507 Insufficient Storage: the request is fine, the server has no room for it now. */
const INSUFFICIENT_STORAGE = 507;

/**
 * The disk space of DATA_DIR/uploads (UPLOAD_DISK_QUOTA_BYTES): the recordings on disk plus what the
 * uploads in flight may still write. A transfer reserves its declared size (Content-Length, else the
 * largest recording) before a byte is written, so concurrent uploads cannot overshoot together.
 */
export class UploadDiskQuota {
  private reserved = 0;

  constructor(
    private readonly dir: string,
    private readonly quotaBytes: number,
  ) {}

  /** Bytes of the recordings in the folder now. */
  async usedOnDisk(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const sizes = await Promise.all(
      names.map((n) =>
        stat(join(this.dir, n)).then(
          (s) => (s.isFile() ? s.size : 0),
          () => 0,
        ),
      ),
    );
    return sizes.reduce((a, b) => a + b, 0);
  }

  /** Reserves room for `bytes` or throws 507 naming the quota; call the returned function once the transfer is over. */
  async reserve(bytes: number): Promise<() => void> {
    if (bytes > this.quotaBytes)
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `the server's space for recordings is ${this.quotaBytes} bytes (UPLOAD_DISK_QUOTA_BYTES): this upload of ${bytes} bytes cannot fit`,
      );
    // reserve first: a concurrent call, checking while this one awaits the folder, sees it
    this.reserved += bytes;
    const used = (await this.usedOnDisk()) + this.reserved - bytes;
    if (used + bytes > this.quotaBytes) {
      this.reserved -= bytes;
      throw new AppError(
        "NOT_READY",
        `the server's space for recordings waiting to be analysed is full: ${used} of ${this.quotaBytes} bytes in use (UPLOAD_DISK_QUOTA_BYTES), ${bytes} more needed; try again once the recordings ahead are analysed`,
        INSUFFICIENT_STORAGE,
      );
    }
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      this.reserved -= bytes;
    };
  }
}
