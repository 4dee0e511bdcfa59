import { isUploadFinished, UploadProgress, type UploadStatus } from "@emotion/protocol";

/** GET /api/uploads/:id (with the speaker token) and the socket event upload:progress: the fields both carry. */
export type UploadState = UploadProgress;

/** Validates an upload status from the server (REST or socket) with the protocol's schema; throws on anything else. */
export function parseUploadState(value: unknown): UploadState {
  return UploadProgress.parse(value);
}

export const UploadStateSchema = { parse: parseUploadState };

export function isFinished(status: UploadStatus): boolean {
  return isUploadFinished(status);
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
