import { useCallback, useEffect, useState } from "react";
import { ApiError, requestJson } from "../shared/api";
import { ACK_TIMEOUT_MS, closeSocket, connectSocket } from "../shared/socket";
import { isFinished, mergeUploadState, parseUploadState, UploadStateSchema, type UploadState } from "./upload-status";

export const POLL_MS = 2000;

export interface AnalysisTarget {
  sessionId: string;
  token: string;
  uploadId: string;
}

/**
 * Follows an upload's analysis: `upload:progress` events in the session's speaker room, with a poll
 * of GET /api/uploads/:id every 2 s in case the socket is down or an event was missed.
 */
export function useAnalysis(target: AnalysisTarget | null) {
  const [state, setState] = useState<UploadState | null>(null);
  const [cancelError, setCancelError] = useState<string | null>(null);
  const uploadId = target?.uploadId ?? null;
  const isDone = state !== null && state.uploadId === uploadId && isFinished(state.status);

  useEffect(() => {
    setState(null);
    setCancelError(null);
  }, [uploadId]);

  useEffect(() => {
    if (!target || isDone) return;
    const { sessionId, token, uploadId: id } = target;
    const merge = (next: UploadState) => setState((known) => mergeUploadState(known, next));
    const socket = connectSocket();
    socket.on("connect", () => {
      // Joining the speaker room is what subscribes to upload:progress; the poll covers a refusal.
      socket.timeout(ACK_TIMEOUT_MS).emit("speaker:join", { v: 1, sessionId, speakerToken: token }, () => undefined);
    });
    socket.on("upload:progress", (p) => {
      if (p.uploadId !== id) return;
      try {
        merge(parseUploadState(p));
      } catch {
        // an event of another shape is ignored; the poll still runs
      }
    });
    // with the speaker token the answer carries faces and error (without it: status and progress only)
    const poll = () => void requestJson(`/api/uploads/${encodeURIComponent(id)}`, UploadStateSchema, { token }).then(merge, () => undefined);
    poll();
    const timer = window.setInterval(poll, POLL_MS);
    return () => {
      window.clearInterval(timer);
      closeSocket(socket);
    };
  }, [target, isDone]);

  const cancel = useCallback(async () => {
    if (!target) return;
    setCancelError(null);
    try {
      const answer = await requestJson(`/api/uploads/${encodeURIComponent(target.uploadId)}`, UploadStateSchema, { method: "DELETE", token: target.token });
      setState((known) => mergeUploadState(known, answer));
    } catch (error) {
      setCancelError(
        error instanceof ApiError && error.status === 409
          ? "The analysis had already finished."
          : error instanceof ApiError
            ? error.message
            : "The upload could not be cancelled.",
      );
    }
  }, [target]);

  return { state: state?.uploadId === uploadId ? state : null, cancel, cancelError };
}
