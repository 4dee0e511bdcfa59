import type { Marker, Probabilities, RoomMood, SessionStatus } from "@emotion/protocol";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../shared/api";
import { ACK_TIMEOUT_MS, connectSocket, unwrapAck, type AppSocket } from "../shared/socket";

/** One point of the rolling timeline: ms since the session went live and the room's mean probabilities. */
export type TimelinePoint = { tMs: number } & { [K in keyof Probabilities]: number | null };

export const TIMELINE_WINDOW_MS = 5 * 60 * 1000;

export type LinkStatus = "connecting" | "live" | "reconnecting" | "error";

export interface RoomState {
  link: LinkStatus;
  error: string | null;
  mood: RoomMood | null;
  sessionStatus: SessionStatus | null;
  timeline: TimelinePoint[];
  markers: Marker[];
}

const EMPTY_POINT = { angry: null, disgust: null, fear: null, happy: null, sad: null, surprise: null, neutral: null };

/** Appends a mood to the timeline, dropping points older than the window; gaps (nobody present) stay null. */
export function appendPoint(timeline: TimelinePoint[], mood: RoomMood): TimelinePoint[] {
  const last = timeline[timeline.length - 1];
  if (last && mood.tMs <= last.tMs) return timeline;
  const point: TimelinePoint = { tMs: mood.tMs, ...(mood.average ?? EMPTY_POINT) };
  const cutoff = mood.tMs - TIMELINE_WINDOW_MS;
  let start = 0;
  while (start < timeline.length && timeline[start]!.tMs < cutoff) start++;
  return [...timeline.slice(start), point];
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
    const onMood = (mood: RoomMood) => setState((s) => ({ ...s, mood, timeline: mood.average || s.timeline.length ? appendPoint(s.timeline, mood) : s.timeline }));
    socket.on("connect", () => {
      void socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck("speaker:join", { v: 1, sessionId, speakerToken: token })
        .then((response) => {
          const mood = unwrapAck(response);
          setState((s) => ({ ...s, link: "live", error: null }));
          onMood(mood);
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
      socket.removeAllListeners();
      socket.disconnect();
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
