import { z } from "zod";

/**
 * The one list of an uploaded recording's states (db enum, routes, jobs, socket event, web client).
 * queued -> processing -> done | failed | cancelled; the last three are final.
 */
export const UPLOAD_STATUSES = ["queued", "processing", "done", "failed", "cancelled"] as const;
export const UploadStatus = z.enum(UPLOAD_STATUSES);
export type UploadStatus = z.infer<typeof UploadStatus>;

const FINISHED: ReadonlySet<UploadStatus> = new Set(["done", "failed", "cancelled"]);

/** True for done, failed and cancelled: nothing changes an upload in these states any more. */
export function isUploadFinished(status: UploadStatus): boolean {
  return FINISHED.has(status);
}

/**
 * What anyone holding an upload id may see (GET /api/uploads/:id without the session's speaker
 * token): how far the analysis is, nothing about the session, the file or the faces.
 */
export const UploadPublicView = z.object({
  uploadId: z.string(),
  status: UploadStatus,
  progress: z.number().min(0).max(1),
});
export type UploadPublicView = z.infer<typeof UploadPublicView>;

/**
 * The socket event upload:progress (to the session's speakers). `error` is a plain sentence for
 * people, never a server path or tool output.
 */
export const UploadProgress = UploadPublicView.extend({
  faces: z.number().int().min(0),
  error: z.string().nullable(),
});
export type UploadProgress = z.infer<typeof UploadProgress>;

/** GET /api/uploads/:id with the speaker token, DELETE /api/uploads/:id, GET /api/sessions/:id/uploads. */
export const UploadView = UploadProgress.extend({
  sessionId: z.string(),
  durationS: z.number().nullable(),
  fileName: z.string(),
});
export type UploadView = z.infer<typeof UploadView>;

/** The error stored for an upload whose server stopped (crash, kill) while it was queued or analysed. */
export const UPLOAD_INTERRUPTED = "interrupted: the server stopped before this recording was analysed; upload it again";
