/** GET /api/uploads/:id and the socket event upload:progress (the fields both carry). */
export interface UploadState {
  uploadId: string;
  status: "queued" | "processing" | "done" | "failed" | "cancelled";
  progress: number;
  faces: number;
  error: string | null;
}

const STATUSES = new Set<UploadState["status"]>(["queued", "processing", "done", "failed", "cancelled"]);

/** Validates an upload status from the server (REST or socket); throws on anything else. */
export function parseUploadState(value: unknown): UploadState {
  const v = value as Partial<Record<keyof UploadState, unknown>> | null;
  if (
    !v ||
    typeof v.uploadId !== "string" ||
    !STATUSES.has(v.status as UploadState["status"]) ||
    typeof v.progress !== "number" ||
    typeof v.faces !== "number" ||
    !(v.error === null || typeof v.error === "string")
  )
    throw new TypeError("not an upload status");
  return { uploadId: v.uploadId, status: v.status as UploadState["status"], progress: Math.min(1, Math.max(0, v.progress)), faces: v.faces, error: v.error };
}

export const UploadStateSchema = { parse: parseUploadState };

export function isFinished(status: UploadState["status"]): boolean {
  return status === "done" || status === "failed" || status === "cancelled";
}

/**
 * Merges a newer report into the known state: a finished state is final, and progress never goes
 * back (a poll answer can be older than a socket event that arrived before it).
 */
export function mergeUploadState(known: UploadState | null, next: UploadState): UploadState {
  if (!known || known.uploadId !== next.uploadId) return next;
  if (isFinished(known.status)) return known;
  if (isFinished(next.status)) return next;
  return next.progress >= known.progress ? next : { ...next, progress: known.progress, faces: Math.max(known.faces, next.faces) };
}
