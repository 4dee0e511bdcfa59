import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** data/ at the repository root: where the server and the CLI keep their data unless DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../../../data", import.meta.url));

/**
 * Where the embedded database of a data folder lives: DATA_DIR/pglite, so that other folders under
 * DATA_DIR (uploads) never end up inside it. A database made before this layout sits in DATA_DIR itself
 * and is kept there. The one rule for the server and the CLI.
 */
export function embeddedDbDir(dataDir: string): string {
  return existsSync(join(dataDir, "PG_VERSION")) ? dataDir : join(dataDir, "pglite");
}
