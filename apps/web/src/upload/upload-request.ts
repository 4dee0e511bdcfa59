import { ErrorBody } from "@emotion/protocol";
import { ApiError } from "../shared/api";
import { formatBytes } from "../shared/time";

export const VIDEO_ACCEPT = "video/mp4,video/webm,video/quicktime,.mp4,.webm,.mov";
const VIDEO_EXTENSION = /\.(mp4|webm|mov|m4v)$/i;

/** A file the server will probably refuse, said before sending it; null when it looks like a recording. */
export function checkRecording(file: File): string | null {
  if (file.size === 0) return `${file.name} is empty.`;
  if (!VIDEO_EXTENSION.test(file.name) && !/^video\/(mp4|webm|quicktime)$/.test(file.type)) return `${file.name} is not an mp4, webm or mov video.`;
  return null;
}

/** What people read for an upload the server refused. */
export function uploadErrorMessage(error: ApiError): string {
  switch (error.status) {
    case 413: {
      const limit = /(\d{4,})\s*bytes/.exec(error.message)?.[1];
      return limit
        ? `This recording is too large: the server accepts recordings up to ${formatBytes(Number(limit))}.`
        : "This recording is larger than the server accepts.";
    }
    case 415:
      return "This file is not a video the server can read. Pick an mp4, webm or mov recording.";
    case 400:
      return `The server refused the file: ${error.message}`;
    case 401:
    case 403:
      return "This browser has no valid speaker key for that session. Pick another session or create a new one.";
    case 404:
      return "That session no longer exists. Create a new one.";
    case 429:
      return "The server already has as many recordings waiting as it accepts. Try again in a minute.";
    case 507:
      return "The server has no room for more recordings right now. Try again once the recordings ahead are analysed.";
    default:
      return error.message;
  }
}

export class UploadAborted extends Error {
  constructor() {
    super("the upload was cancelled");
    this.name = "UploadAborted";
  }
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Sends the recording as multipart field `video` with XMLHttpRequest (fetch cannot report upload
 * progress); resolves with the upload id of the server's 202.
 */
export function sendRecording(sessionId: string, token: string, file: File, onProgress: (p: UploadProgress) => void): { done: Promise<string>; abort(): void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<string>((resolve, reject) => {
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onabort = () => reject(new UploadAborted());
    xhr.onerror = () => reject(new ApiError("NETWORK", "The upload was interrupted: the server cannot be reached. Check your connection and try again."));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // a proxy's HTML error page: fall through to the status
      }
      if (xhr.status === 202 && body && typeof body === "object" && typeof (body as { uploadId?: unknown }).uploadId === "string") {
        resolve((body as { uploadId: string }).uploadId);
        return;
      }
      const parsed = ErrorBody.safeParse(body);
      reject(
        parsed.success
          ? new ApiError(parsed.data.error.code, parsed.data.error.message, xhr.status)
          : new ApiError(xhr.status === 413 ? "PAYLOAD_TOO_LARGE" : "INTERNAL", `The server answered ${xhr.status}.`, xhr.status),
      );
    };
  });
  const form = new FormData();
  form.append("video", file, file.name);
  xhr.open("POST", `/api/sessions/${encodeURIComponent(sessionId)}/uploads`);
  xhr.setRequestHeader("Authorization", `Bearer ${token}`);
  xhr.setRequestHeader("Accept", "application/json");
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}
