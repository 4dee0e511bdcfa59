import { existsSync, statSync } from "node:fs";
import { createDb, DEFAULT_DATA_DIR, embeddedDbDir, storeTrackedFaces } from "@emotion/db";
import { AppError } from "@emotion/protocol";
import { loadVision } from "@emotion/vision/node";
import { analyzeVideo, probeVideo } from "@emotion/vision/video";
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
      const analysis = await analyzeVideo(vision, path, {
        fps: o.fps,
        onProgress: ({ tMs, faces }) => progress.update(++frames, { detail: `${(tMs / 1000).toFixed(1)} s, ${faces} face(s)` }),
      }).finally(() => {
        progress.stop();
        void vision.release();
      });
      const elapsedS = (Date.now() - started) / 1000;
      let participantIds: string[] = [];
      if (db && o.session) {
        const sessionId = o.session;
        participantIds = await db.transaction((tx) => storeTrackedFaces(tx, sessionId, analysis.faces));
      }
      const faces = analysis.faces.map((f, i) => ({
        id: f.id,
        name: f.name,
        readings: f.readings.length,
        framesSeen: f.framesSeen,
        dominant: f.dominant,
        ...(participantIds[i] ? { participantId: participantIds[i] } : {}),
      }));
      if (o.json) return printJson({ faces, durationS: analysis.durationS, frames: analysis.frames, elapsedS, speed: analysis.durationS / elapsedS });
      process.stdout.write(
        `${path}: ${analysis.durationS.toFixed(1)} s, ${analysis.frames} frames at ${o.fps} fps, analysed in ${elapsedS.toFixed(1)} s (${(analysis.durationS / elapsedS).toFixed(1)}x real time)\n\n`,
      );
      process.stdout.write(
        formatTable(
          ["face", "readings", "seen in", "dominant"],
          faces.map((f) => [f.name, f.readings, `${f.framesSeen} frames`, f.dominant ?? "-"]),
        ),
      );
      if (o.session) process.stdout.write(`\nstored ${faces.length} participant(s) in session ${o.session}\n`);
    } finally {
      await db?.close();
    }
  },
});
