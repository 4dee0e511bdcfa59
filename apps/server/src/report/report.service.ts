import { BUCKET_MS, type Db } from "@emotion/db";
import { buildReport } from "@emotion/analytics";
import { AppError, type SessionReport } from "@emotion/protocol";
import { toMarker } from "../sessions";

const MAX_POINTS = 240;

/** The session's report, from the 5-second rollup merged in SQL to at most MAX_POINTS buckets. */
export async function loadReport(db: Db, sessionId: string, now = new Date()): Promise<SessionReport> {
  const rows = await db.getSessionDetail(sessionId);
  if (!rows) throw new AppError("NOT_FOUND", `no session ${sessionId}`);
  const { session, participants, markers } = rows;
  const uploads = await db.listUploads(sessionId);
  const liveMs = session.startedAt ? (session.endedAt ?? now).getTime() - session.startedAt.getTime() : 0;
  const videoMs = Math.max(0, ...uploads.filter((u) => u.status === "done").map((u) => (u.durationS ?? 0) * 1000));
  // Readings can outlast the clock (a recording longer than the live part): look at the rollup's extent too.
  let durationMs = Math.max(liveMs, videoMs);
  let factor = Math.max(1, Math.ceil(Math.ceil(durationMs / BUCKET_MS) / MAX_POINTS));
  let buckets = await db.reportBuckets(sessionId, factor);
  // Extend only when readings start past the known end (a bucket's end would overstate an 8 s video as 10 s).
  const lastBucket = Math.max(-1, ...buckets.map((b) => b.bucket));
  if (lastBucket >= 0 && lastBucket * factor * BUCKET_MS >= durationMs) {
    durationMs = (lastBucket + 1) * factor * BUCKET_MS;
    const wanted = Math.max(1, Math.ceil(Math.ceil(durationMs / BUCKET_MS) / MAX_POINTS));
    if (wanted !== factor) {
      factor = wanted;
      buckets = await db.reportBuckets(sessionId, factor);
    }
  }
  const report = buildReport({
    session: { id: session.id, title: session.title, status: session.status, startedAt: session.startedAt, endedAt: session.endedAt },
    participants: participants.map((p) => ({ id: p.id, name: p.name, kind: p.kind })),
    markers: markers.map(toMarker),
    buckets,
    bucketMs: BUCKET_MS * factor,
    durationMs,
    maxPoints: MAX_POINTS,
    now,
  });
  return { ...report, corrections: await db.correctionSummary(sessionId) };
}
