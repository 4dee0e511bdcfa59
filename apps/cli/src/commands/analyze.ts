import { existsSync, statSync } from "node:fs";
import { createDb, DEFAULT_DATA_DIR, embeddedDbDir, type Repository } from "@emotion/db";
import { AppError } from "@emotion/protocol";
import type { Vision } from "@emotion/vision";
import { loadVision } from "@emotion/vision/node";
import { probeVideo, trackVideo, type FaceReadings, type VideoTracking } from "@emotion/vision/video";
import { z } from "zod";
import { defineCommand, usageError } from "../args";
import { env } from "../env";
import { formatTable, printJson, resolveUserPath, startProgress } from "../output";

const Options = z.object({
  input: z.string({ error: "is required (a video file)" }).min(1, { error: "is required" }),
  session: z.uuid({ error: "must be a session id (a UUID, from POST /api/sessions)" }).optional(),
  fps: z.coerce.number({ error: "must be a number" }).positive({ error: "must be > 0" }).max(30, { error: "must be at most 30" }).default(2),
  json: z.boolean().default(false),
});

/** Readings handed to the store per batch, as the server's upload analysis does. */
const BATCH_READINGS = 500;

interface Store {
  tx: Repository;
  sessionId: string;
}

/**
 * Streams a recording through trackVideo. With a store, each confirmed face becomes an upload participant when
 * its first readings arrive and only the frames in which it was seen are stored (absence is the frames without
 * a row, as for the server's uploads); memory stays bounded whatever the recording's length.
 */
async function trackInto(vision: Vision, path: string, fps: number, store: Store | null, onProgress: (tMs: number, faces: number) => void) {
  const participants = new Map<number, string>();
  const at = Date.now();
  const write = async (batch: FaceReadings[]) => {
    if (!store) return;
    const { tx, sessionId } = store;
    for (const face of batch) {
      const participantId = participants.get(face.faceId) ?? (await tx.joinParticipant({ sessionId, name: face.name, kind: "upload", tokenHash: "-" })).id;
      participants.set(face.faceId, participantId);
      await tx.insertReadings(face.readings.map((r) => ({ ...r, sessionId, participantId, capturedAt: at + r.tMs, serverAt: at })));
    }
  };
  const result: VideoTracking = await trackVideo(vision, path, {
    fps,
    batchSize: BATCH_READINGS,
    onReadings: write,
    onProgress: ({ tMs, faces }) => onProgress(tMs, faces),
  });
  return { result, participants };
}

export const analyze = defineCommand({
  name: "analyze",
  summary: "Track and classify every face of a recorded video; optionally store it into a session.",
  positionals: [{ name: "input", label: "<video>", description: "mp4, webm, mov (anything ffmpeg reads)" }],
  flags: {
    session: {
      type: "string",
      value: "ID",
      description: "store one participant per tracked face into this session (DATABASE_URL, or the embedded database in DATA_DIR: stop the server first)",
    },
    fps: { type: "string", value: "N", description: "frames sampled per second (default 2, at most 30)" },
    json: { type: "boolean", description: 'print {"faces":[{"id","readings","dominant"}],"durationS"} as the last line of stdout' },
  },
  schema: Options,
  examples: ["pnpm emotion analyze talk.mp4", "pnpm emotion analyze talk.mp4 --session 0b6f... --fps 1 --json"],
  async run(o) {
    const path = resolveUserPath(o.input);
    if (!existsSync(path) || !statSync(path).isFile()) throw usageError(`<video>: no file at ${path}`);
    const info = await probeVideo(path, env.FFMPEG_PATH);
    const db = o.session
      ? await createDb(
          env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: embeddedDbDir(env.DATA_DIR ? resolveUserPath(env.DATA_DIR) : DEFAULT_DATA_DIR) },
        )
      : null;
    try {
      if (db && o.session && !(await db.getSession(o.session))) throw new AppError("NOT_FOUND", `--session: no session ${o.session}`);
      const vision = await loadVision();
      const expected = Math.max(1, Math.ceil((info.durationS ?? 0) * o.fps));
      const progress = startProgress("frames", expected);
      const started = Date.now();
      let frames = 0;
      const onProgress = (tMs: number, faces: number) => progress.update(++frames, { detail: `${(tMs / 1000).toFixed(1)} s, ${faces} face(s)` });
      const sessionId = o.session;
      // one transaction: a recording that fails halfway leaves no participant and no reading behind
      const { result, participants } = await (
        db && sessionId
          ? db.transaction((tx) => trackInto(vision, path, o.fps, { tx, sessionId }, onProgress))
          : trackInto(vision, path, o.fps, null, onProgress)
      ).finally(() => {
        progress.stop();
        void vision.release();
      });
      const elapsedS = (Date.now() - started) / 1000;
      const faces = result.faces.map((f) => ({
        id: f.id,
        name: f.name,
        readings: f.framesSeen,
        framesSeen: f.framesSeen,
        dominant: f.dominant,
        ...(participants.has(f.id) ? { participantId: participants.get(f.id) } : {}),
      }));
      if (o.json) return printJson({ faces, durationS: result.durationS, frames: result.frames, elapsedS, speed: result.durationS / elapsedS });
      process.stdout.write(
        `${path}: ${result.durationS.toFixed(1)} s, ${result.frames} frames at ${o.fps} fps, analysed in ${elapsedS.toFixed(1)} s (${(result.durationS / elapsedS).toFixed(1)}x real time)\n\n`,
      );
      process.stdout.write(
        formatTable(
          ["face", "readings", "seen in", "dominant"],
          faces.map((f) => [f.name, f.readings, `${f.framesSeen} frames`, f.dominant ?? "-"]),
        ),
      );
      if (o.session) process.stdout.write(`\nstored ${faces.length} participant(s) and ${result.readings} reading(s) in session ${o.session}\n`);
    } finally {
      await db?.close();
    }
  },
});
