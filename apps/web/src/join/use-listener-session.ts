import type { Emotion, FeedbackAck, ListenerJoined, ReadingAck } from "@emotion/protocol";
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { describeCameraError, startCamera, stopCamera, type CameraProblem } from "./camera";
import { CaptureLoop } from "./capture-loop";
import { loadDetector, type Detector } from "./detector";
import { FrameSource } from "./frame-source";
import { ListenerConnection, type ConnectionStatus } from "./listener-connection";
import { rememberingCrops, SentCrops } from "./sent-crops";

export type CameraState = "starting" | "on" | "paused" | "off" | "error";

export interface ListenerSessionState {
  connection: ConnectionStatus;
  connectionMessage: string | null;
  joined: ListenerJoined | null;
  camera: CameraState;
  cameraProblem: CameraProblem | null;
  mode: Detector["mode"] | null;
  reading: ReadingAck | null;
  left: boolean;
  /** Crops captured and not yet stored; with isCatchingUp the page says "catching up". */
  queued: number;
  isCatchingUp: boolean;
}

let detectorOnce: Promise<Detector> | null = null;
/** One detector per page: it holds two ONNX sessions and survives remounts. */
function sharedDetector(): Promise<Detector> {
  detectorOnce ??= loadDetector();
  return detectorOnce;
}

declare global {
  interface Window {
    /** Debug hook for the e2e test and for measuring detection speed in a browser. */
    __emotionListener?: { stats: CaptureLoop["stats"]; benchmark: CaptureLoop["benchmark"] };
  }
}

/** Runs the listener's side of a session: socket, camera, detector and the capture loop. */
export function useListenerSession(code: string, name: string, videoRef: RefObject<HTMLVideoElement | null>) {
  const [state, setState] = useState<ListenerSessionState>({
    connection: "connecting",
    connectionMessage: null,
    joined: null,
    camera: "starting",
    cameraProblem: null,
    mode: null,
    reading: null,
    left: false,
    queued: 0,
    isCatchingUp: false,
  });
  const patch = useCallback((next: Partial<ListenerSessionState>) => setState((s) => ({ ...s, ...next })), []);
  const connectionRef = useRef<ListenerConnection | null>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const loopRef = useRef<CaptureLoop | null>(null);
  const [sentCrops] = useState(() => new SentCrops());

  const openCamera = useCallback(async () => {
    patch({ camera: "starting", cameraProblem: null });
    try {
      const stream = await startCamera();
      streamRef.current = stream;
      const video = videoRef.current;
      if (video) {
        video.srcObject = stream;
        await video.play().catch(() => undefined);
      }
      // The camera can vanish later (unplugged, taken by the OS): report it rather than sending nothing.
      stream.getVideoTracks()[0]?.addEventListener("ended", () => {
        loopRef.current?.stop();
        patch({ camera: "off", cameraProblem: { kind: "other", message: "The camera stopped. Check it is connected, then turn it back on." } });
        void connectionRef.current?.setState("camera_off").catch(() => undefined);
      });
      patch({ camera: "on" });
      return true;
    } catch (error) {
      patch({ camera: "error", cameraProblem: describeCameraError(error) });
      void connectionRef.current?.setState("camera_off").catch(() => undefined);
      return false;
    }
  }, [patch, videoRef]);

  useEffect(() => {
    let disposed = false;
    const connection = new ListenerConnection(code, name, {
      onStatus: (connection, message) => {
        patch({ connection, connectionMessage: message ?? null });
        const outbox = loopRef.current?.outbox;
        // Crops in flight when the connection dropped were maybe not stored: they go again after the rejoin.
        if (connection === "reconnecting") outbox?.requeueInFlight();
        if (connection === "joined") outbox?.pump();
        if (connection === "ended" || connection === "failed") {
          outbox?.end();
          loopRef.current?.stop();
          stopCamera(streamRef.current);
        }
      },
      onJoined: (joined) => patch({ joined }),
      onRate: () => undefined,
    });
    connectionRef.current = connection;

    void (async () => {
      const [detector, cameraOk] = await Promise.all([sharedDetector(), openCamera()]);
      if (disposed || !videoRef.current) return;
      const loop = new CaptureLoop(new FrameSource(videoRef.current), detector, rememberingCrops(connection, sentCrops), {
        rateHz: () => connection.rateHz,
        // A crop re-sent after a reconnect is older than the one shown: it does not take the self view back.
        onAck: (reading) => setState((s) => (s.reading && s.reading.seq > reading.seq ? s : { ...s, reading })),
        onModeChange: (mode) => patch({ mode }),
        onBacklog: (queued, isCatchingUp) => setState((s) => (s.queued === queued && s.isCatchingUp === isCatchingUp ? s : { ...s, queued, isCatchingUp })),
      });
      loopRef.current = loop;
      window.__emotionListener = { stats: loop.stats, benchmark: (ms) => loop.benchmark(ms) };
      patch({ mode: detector.mode });
      if (cameraOk) loop.start();
    })();

    return () => {
      disposed = true;
      loopRef.current?.stop();
      loopRef.current = null;
      stopCamera(streamRef.current);
      streamRef.current = null;
      connection.close();
      connectionRef.current = null;
      delete window.__emotionListener;
    };
  }, [code, name, openCamera, patch, videoRef, sentCrops]);

  const pause = useCallback(async () => {
    loopRef.current?.stop();
    stopCamera(streamRef.current);
    streamRef.current = null;
    patch({ camera: "paused", reading: null });
    await connectionRef.current?.setState("paused").catch(() => undefined);
  }, [patch]);

  const resume = useCallback(async () => {
    if (!(await openCamera())) return;
    await connectionRef.current?.setState("active").catch(() => undefined);
    loopRef.current?.start();
  }, [openCamera]);

  const leave = useCallback(async () => {
    loopRef.current?.stop();
    stopCamera(streamRef.current);
    streamRef.current = null;
    await connectionRef.current?.leave().catch(() => undefined);
    patch({ left: true, camera: "off" });
  }, [patch]);

  const sendFeedback = useCallback(async (seq: number, label: Emotion, crop: Uint8Array | null): Promise<FeedbackAck> => {
    const connection = connectionRef.current;
    if (!connection) throw new Error("not connected");
    return connection.sendFeedback({ v: 1, seq, label, ...(crop ? { crop } : {}) });
  }, []);
  const cropOf = useCallback((seq: number) => sentCrops.cropOf(seq), [sentCrops]);

  return { state, pause, resume, leave, sendFeedback, cropOf };
}
