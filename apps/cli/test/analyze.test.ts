import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "@emotion/db";
import { B_VISIBLE, makeTwoFaceVideo, VIDEO_SECONDS } from "@emotion/vision/testing";
import { lastJson, runCli } from "./run-cli";

const tmp = mkdtempSync(join(tmpdir(), "emotion-analyze-"));
let video: string;
beforeAll(async () => {
  video = await makeTwoFaceVideo(tmp);
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Sampled frames (t = 0, 1/fps, …) in which face B is on screen: the readings it can have. */
const framesWithB = (fps: number) =>
  Array.from({ length: VIDEO_SECONDS * fps }, (_, i) => i / fps).filter((t) => B_VISIBLE.some(([from, to]) => t >= from && t < to)).length;

interface AnalyzeJson {
  faces: Array<{ id: number; name: string; readings: number; dominant: string | null; participantId?: string }>;
  durationS: number;
}

describe("emotion analyze", () => {
  it("tracks the faces of a recording and prints a per-face summary", async () => {
    const r = await runCli(["analyze", video, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson<AnalyzeJson>(r);
    expect(out.durationS).toBeCloseTo(8, 0);
    // one reading per frame a face was seen in: none for the 1.5 s face B is away, nor before it comes
    expect(out.faces.map((f) => [f.id, f.readings])).toEqual([
      [1, VIDEO_SECONDS * 2],
      [2, framesWithB(2)],
    ]);
    expect(out.faces.every((f) => f.dominant !== null)).toBe(true);
  }, 60_000);

  it("stores one participant per face into a session of the embedded database", async () => {
    const dataDir = join(tmp, "db");
    let db = await createDb({ dataDir });
    const session = (await db.createSession({ code: "VIDEO1", title: "Recorded", speakerTokenHash: "-" }))!;
    await db.close();
    const r = await runCli(["analyze", video, "--session", session.id, "--fps", "1", "--json"], { DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson<AnalyzeJson>(r);
    expect(out.faces.every((f) => typeof f.participantId === "string")).toBe(true);
    db = await createDb({ dataDir });
    const people = await db.listParticipants(session.id);
    expect(people.map((p) => [p.name, p.kind, p.readingsCount])).toEqual(out.faces.map((f) => [f.name, "upload", f.readings]));
    // only frames with a face are stored (as the server's uploads do): at most the frames B is on screen in
    // (one edge frame may be missed at 1 fps), never the 7 frames from its first appearance on, gaps filled
    expect(out.faces[0]?.readings).toBe(VIDEO_SECONDS);
    expect(out.faces[1]?.readings).toBeLessThanOrEqual(framesWithB(1));
    expect(out.faces[1]?.readings).toBeGreaterThanOrEqual(framesWithB(1) - 1);
    await db.close();
  }, 60_000);

  it("names the bad flag or file", async () => {
    const bad = await runCli(["analyze", video, "--session", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--session: must be a session id");
    const missing = await runCli(["analyze", join(tmp, "none.mp4")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("<video>: no file at");
    const unknown = await runCli(["analyze", video, "--session", "00000000-0000-4000-8000-000000000000"], { DATA_DIR: join(tmp, "db2") });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no session");
  });
});
