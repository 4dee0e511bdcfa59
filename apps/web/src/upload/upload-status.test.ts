import { describe, expect, it } from "vitest";
import { ApiError } from "../shared/api";
import { uploadErrorMessage } from "./upload-request";
import { mergeUploadState, parseUploadState, type UploadState } from "./upload-status";

const state = (over: Partial<UploadState> = {}): UploadState => ({ uploadId: "u", status: "processing", progress: 0.5, faces: 1, error: null, ...over });

describe("upload status", () => {
  it("parses the server's answer and refuses anything else", () => {
    expect(parseUploadState({ ...state(), sessionId: "s", durationS: null, fileName: "a.mp4" })).toEqual(state());
    expect(() => parseUploadState({ uploadId: "u", status: "weird", progress: 0, faces: 0, error: null })).toThrow();
    expect(() => parseUploadState({ uploadId: "u", status: "done", progress: 2, faces: 0, error: null })).toThrow();
    expect(() => parseUploadState({ uploadId: "u", status: "done", progress: 1, faces: -1, error: null })).toThrow();
  });

  it("never moves progress back and keeps a finished state", () => {
    expect(mergeUploadState(state({ progress: 0.7 }), state({ progress: 0.4 })).progress).toBe(0.7);
    expect(mergeUploadState(state(), state({ status: "done", progress: 1, faces: 2 })).status).toBe("done");
    expect(mergeUploadState(state({ status: "cancelled" }), state({ progress: 0.9 })).status).toBe("cancelled");
    expect(mergeUploadState(state(), state({ uploadId: "other", progress: 0.1 })).uploadId).toBe("other");
  });

  it("says plainly why the server refused a file", () => {
    expect(uploadErrorMessage(new ApiError("PAYLOAD_TOO_LARGE", "the recording is larger than the limit of 524288000 bytes", 413))).toBe(
      "This recording is too large: the server accepts recordings up to 500 MB.",
    );
    expect(uploadErrorMessage(new ApiError("UNSUPPORTED_MEDIA_TYPE", "x.txt is not an mp4, webm or mov video", 415))).toMatch(/mp4, webm or mov/);
    expect(uploadErrorMessage(new ApiError("BAD_REQUEST", "the uploaded file is empty", 400))).toMatch(/empty/);
    expect(uploadErrorMessage(new ApiError("RATE_LIMITED", "the server already has 20 recordings waiting (MAX_QUEUED_UPLOADS=20)", 429))).toMatch(
      /Try again in a minute/,
    );
    expect(uploadErrorMessage(new ApiError("NOT_READY", "full (UPLOAD_DISK_QUOTA_BYTES)", 507))).toMatch(/no room/);
  });
});
