import { Timeline, type Marker, type RoomMood, type SessionStatus } from "@emotion/protocol";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, requestJson } from "../shared/api";
import { ACK_TIMEOUT_MS, closeSocket, connectSocket, unwrapAck, type AppSocket } from "../shared/socket";
import { appendPoint, mergeBackfill, TIMELINE_WINDOW_MS, type TimelinePoint } from "./timeline";

const BACKFILL_BUCKET_MS = 1000;

export type LinkStatus = "connecting" | "live" | "reconnecting" | "error";

export interface RoomState {
  link: LinkStatus;
  error: string | null;
  mood: RoomMood | null;
  sessionStatus: SessionStatus | null;
  timeline: TimelinePoint[];
  markers: Marker[];
}

function addMarker(markers: Marker[], marker: Marker): Marker[] {
  return markers.some((m) => m.id === marker.id) ? markers : [...markers, marker].sort((a, b) => a.tMs - b.tMs);
}

/** The speaker's live connection to the room: mood snapshots, markers, status, and the speaker's actions. */
export function useRoom(sessionId: string, token: string | null, initialMarkers: Marker[]) {
  const [state, setState] = useState<RoomState>({ link: "connecting", error: null, mood: null, sessionStatus: null, timeline: [], markers: [] });
  const socketRef = useRef<AppSocket | null>(null);

  useEffect(() => {
    setState((s) => ({ ...s, markers: initialMarkers.reduce(addMarker, s.markers) }));
  }, [initialMarkers]);

  useEffect(() => {
    if (!token) return;
    const socket = connectSocket();
    socketRef.current = socket;
    // The stored timeline of the last minutes, so a reload (or a reconnect) does not start empty.
    const backfill = (nowMs: number) =>
      requestJson(
        `/api/sessions/${encodeURIComponent(sessionId)}/timeline?from=${Math.max(0, Math.floor(nowMs - TIMELINE_WINDOW_MS))}&bucketMs=${BACKFILL_BUCKET_MS}`,
        Timeline,
        { token },
      )
        .then(({ buckets, bucketMs }) => setState((s) => ({ ...s, timeline: mergeBackfill(s.timeline, buckets, bucketMs) })))
        .catch(() => undefined); // the live timeline still grows; a missing backfill is not worth an error
    const onMood = (mood: RoomMood) =>
      setState((s) => ({ ...s, mood, timeline: mood.average || s.timeline.length ? appendPoint(s.timeline, mood) : s.timeline }));
    socket.on("connect", () => {
      void socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck("speaker:join", { v: 1, sessionId, speakerToken: token })
        .then((response) => {
          const mood = unwrapAck(response);
          setState((s) => ({ ...s, link: "live", error: null }));
          onMood(mood);
          void backfill(mood.tMs);
        })
        .catch((error: unknown) => {
          const message =
            error instanceof ApiError
              ? error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN"
                ? "This dashboard link is not valid for this session. Open the link you got when you created it."
                : error.message
              : "The server did not answer. Retrying…";
          setState((s) => ({ ...s, link: "error", error: message }));
        });
    });
    socket.on("disconnect", (reason) => {
      if (reason !== "io client disconnect") setState((s) => ({ ...s, link: "reconnecting" }));
    });
    socket.on("session:mood", onMood);
    socket.on("session:marker", (marker) => setState((s) => ({ ...s, markers: addMarker(s.markers, marker) })));
    socket.on("session:status", ({ status }) => setState((s) => ({ ...s, sessionStatus: status })));
    return () => {
      closeSocket(socket);
      socketRef.current = null;
    };
  }, [sessionId, token]);

  const emitEmpty = useCallback(async (event: "speaker:start" | "speaker:end") => {
    const socket = socketRef.current;
    if (!socket?.connected) throw new ApiError("NETWORK", "Not connected to the server.");
    unwrapAck(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, { v: 1 }));
  }, []);

  const addMarkerLabel = useCallback(async (label: string) => {
    const socket = socketRef.current;
    if (!socket?.connected) throw new ApiError("NETWORK", "Not connected to the server.");
    const marker = unwrapAck(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("speaker:marker", { v: 1, label }));
    setState((s) => ({ ...s, markers: addMarker(s.markers, marker) }));
  }, []);

  const start = useCallback(async () => {
    await emitEmpty("speaker:start");
    setState((s) => ({ ...s, sessionStatus: "live" }));
  }, [emitEmpty]);

  const end = useCallback(async () => {
    await emitEmpty("speaker:end");
    setState((s) => ({ ...s, sessionStatus: "ended" }));
  }, [emitEmpty]);

  return { state, addMarker: addMarkerLabel, start, end };
}
