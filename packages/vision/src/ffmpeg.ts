import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let cached: string | undefined;

/** The ffmpeg binary: @ffmpeg-installer/ffmpeg's build when it is installed for this platform, else `ffmpeg` on PATH. */
export function resolveFfmpeg(): string {
  if (cached) return cached;
  try {
    // Throws for a platform without a prebuilt binary; that is what the fallback is for.
    const installer = require("@ffmpeg-installer/ffmpeg") as { path: string };
    if (existsSync(installer.path)) return (cached = installer.path);
  } catch {
    // fall through to the system ffmpeg
  }
  return (cached = "ffmpeg");
}
