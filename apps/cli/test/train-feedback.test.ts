import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, embeddedDbDir } from "@emotion/db";
import { afterAll, describe, expect, it } from "vitest";
import { isHeldOut, TRAINING_DIR } from "../src/commands/train-feedback";
import { findPython } from "../src/python";
import { lastJson, runCli } from "./run-cli";

const tmp = mkdtempSync(join(tmpdir(), "emotion-train-feedback-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const crop = (seed: number) => Uint8Array.from({ length: 2304 }, (_, i) => (i * (seed + 5) + seed * 17) % 256);

interface Summary {
  version: number;
  publicTest: { accuracy: number | null };
  feedbackEval: { accuracy: number; n: number } | null;
  active: { version: number; sameRowsPublicTest: number | null };
  promote: string;
}

describe("emotion train --feedback", () => {
  it("fine-tunes the active version on the samples in use (a withdrawn listener's left out) and registers a candidate with its card", async () => {
    const made = spawnSync(findPython(), [join(TRAINING_DIR, "tests", "make_smoke_data.py"), tmp, "--train", "256", "--test", "64"]);
    expect(made.status, made.stderr.toString()).toBe(0);
    const dataDir = join(tmp, "data");

    // Two listeners correct their readings with consent; one then withdraws. Plus an imported source.
    const db = await createDb({ dataDir: embeddedDbDir(dataDir) });
    const session = (await db.createSession({ code: "TRAIN001", title: "Feedback", speakerTokenHash: "h" }))!;
    const [stays, leaves] = [
      await db.joinParticipant({ sessionId: session.id, tokenHash: "t" }),
      await db.joinParticipant({ sessionId: session.id, tokenHash: "t" }),
    ];
    for (let i = 0; i < 4; i++) {
      await db.addCorrection({ sessionId: session.id, participantId: stays.id, seq: i, label: "happy", crop: crop(i) });
      await db.addCorrection({ sessionId: session.id, participantId: leaves.id, seq: i, label: "sad", crop: crop(100 + i) });
    }
    await db.addSamples(
      "lab",
      [0, 1, 2, 3, 4, 5].map((i) => ({ label: "fear" as const, pixels: crop(200 + i), origin: `row ${i}` })),
    );
    expect(await db.withdrawContributions(leaves.id)).toEqual({ corrections: 4, samples: 4 });
    const inUse = (await db.listSamples()).map((s) => s.id);
    expect(inUse).toHaveLength(10);
    await db.close();

    const r = await runCli(
      [
        "train",
        "--feedback",
        "--epochs",
        "1",
        "--holdout",
        "0.3",
        "--csv",
        join(tmp, "fer.csv.gz"),
        "--votes",
        join(tmp, "votes.csv"),
        "--threads",
        "1",
        "--json",
      ],
      { DATA_DIR: dataDir },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const summary = lastJson<Summary>(r);
    const heldOut = inUse.filter((id) => isHeldOut(id, 0.3));
    const trained = inUse.filter((id) => !isHeldOut(id, 0.3));
    expect(summary).toMatchObject({ version: 2, active: { version: 1 }, promote: "pnpm emotion models promote 2" });
    expect(summary.publicTest.accuracy).toBeGreaterThanOrEqual(0);
    expect(summary.feedbackEval?.n ?? 0).toBe(heldOut.length);
    expect(summary.active.sameRowsPublicTest).toEqual(expect.any(Number));

    const after = await createDb({ dataDir: embeddedDbDir(dataDir) });
    try {
      const models = await after.listModels();
      expect(models.map((m) => [m.version, m.source, m.status])).toEqual([
        [1, "shipped", "active"],
        [2, "trained", "candidate"],
      ]);
      const candidate = (await after.getModel(2))!;
      expect(candidate.onnx!.byteLength).toBeGreaterThan(100_000);
      // Exactly the samples in use outside the held-out share: the withdrawn listener's are not among them.
      expect(candidate.card.feedbackTraining).toMatchObject({ baseVersion: 1, samples: trained.length, heldOut: heldOut.length });
      const expected = createHash("sha256").update(trained.sort().join(",")).digest("hex");
      expect((candidate.card.feedbackTraining as { sampleSetSha256: string }).sampleSetSha256).toBe(expected);
    } finally {
      await after.close();
    }
  }, 600_000);
});
