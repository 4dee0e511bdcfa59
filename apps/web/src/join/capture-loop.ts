import { CropOutbox, type ListenerCrop, type ReadingAck } from "@emotion/protocol";
import type { Detector } from "./detector";
import type { FrameSource } from "./frame-source";

/** Where crops go: the listener's socket, which may be offline for a while. */
export interface CropTransport {
  canSend(): boolean;
  send(payload: ListenerCrop): Promise<ReadingAck>;
}

export interface CaptureStats {
  mode: Detector["mode"];
  /** Frames run through detection (or encoded, in frame mode). */
  frames: number;
  sent: number;
  acked: number;
  failed: number;
  /** Crops captured and not yet acked (stored): kept through a disconnect or a database outage. */
  queued: number;
  /** Crops given up (refused by the server, or pushed out of a full outbox). */
  dropped: number;
  /** Mean milliseconds per frame for grab + detect + crop, over the last frames. */
  frameMs: number;
}

/** Consecutive detector failures after which the loop falls back to sending frames. */
const MAX_DETECT_FAILURES = 5;

/**
 * Samples the camera at the server's rate, detects the face and sends its grey crop (or a no-face
 * beat); in frame mode sends small JPEG frames instead. Crops go through an outbox that keeps each one
 * until the server acks it (an ack means stored) and re-sends it after a reconnect; while it is
 * disconnected the loop keeps capturing into the (bounded) outbox.
 */
export class CaptureLoop {
  readonly stats: CaptureStats;
  private timer: number | undefined;
  private running = false;
  /** Starts at the page's start time so a reloaded page never reuses a seq of the same participant. */
  private seq = Date.now() % 1_000_000_000;
  private detectFailures = 0;
  readonly outbox: CropOutbox;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: FrameSource,
    private detector: Detector,
    transport: CropTransport,
    private readonly callbacks: {
      rateHz(): number;
      onAck(ack: ReadingAck): void;
      onModeChange(mode: Detector["mode"]): void;
      /** Crops waiting to be stored changed (the page says "catching up" while any wait). */
      onBacklog?(queued: number, isCatchingUp: boolean): void;
    },
  ) {
    this.stats = { mode: detector.mode, frames: 0, sent: 0, acked: 0, failed: 0, queued: 0, dropped: 0, frameMs: 0 };
    this.outbox = new CropOutbox({
      send: (payload) => {
        this.stats.sent++;
        return transport.send(payload);
      },
      canSend: () => transport.canSend(),
      onAck: (ack) => {
        this.stats.acked++;
        this.callbacks.onAck(ack);
        this.reportBacklog();
      },
      onDrop: (payload, reason) => {
        this.stats.dropped++;
        console.warn(`crop ${payload.seq} dropped: ${reason}`);
      },
    });
  }

  private reportBacklog(): void {
    this.stats.queued = this.outbox.size;
    this.stats.failed = this.outbox.stats.retried;
    this.callbacks.onBacklog?.(this.outbox.size, this.outbox.isCatchingUp);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    window.clearTimeout(this.timer);
  }

  /** Runs grab + detect + crop back to back for `durationMs` (the loop pauses meanwhile) and answers frames per second. */
  async benchmark(durationMs = 3000): Promise<{ fps: number; frames: number; mode: Detector["mode"] }> {
    const wasRunning = this.running;
    this.stop();
    await this.current;
    let frames = 0;
    const started = performance.now();
    while (performance.now() - started < durationMs) {
      await this.capture();
      frames++;
    }
    const fps = (frames * 1000) / (performance.now() - started);
    if (wasRunning) this.start();
    return { fps, frames, mode: this.detector.mode };
  }

  private schedule(delayMs: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.current = this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const started = performance.now();
    if (this.source.isReady()) {
      try {
        this.outbox.add(await this.capture());
        this.reportBacklog();
        this.detectFailures = 0;
      } catch (error) {
        this.onCaptureError(error);
      }
    }
    if (!this.running) return;
    const intervalMs = 1000 / Math.max(0.2, this.callbacks.rateHz());
    this.schedule(Math.max(0, intervalMs - (performance.now() - started)));
  }

  private async capture(): Promise<ListenerCrop> {
    const started = performance.now();
    const base = { v: 1 as const, seq: this.seq++, capturedAt: Date.now() };
    let payload: ListenerCrop;
    if (this.detector.mode === "frame") {
      payload = { ...base, kind: "frame", jpeg: await this.source.grabJpeg() };
    } else {
      const { vision } = this.detector;
      const image = this.source.grabPixels();
      const [face] = await vision.detectFaces(image, { maxFaces: 1 });
      if (!face) payload = { ...base, kind: "no_face" };
      else {
        const crop = vision.cropFace(image, face);
        payload = crop.quality.ok
          ? { ...base, kind: "face", crop: crop.pixels.slice() }
          : { ...base, kind: "no_face", ...(crop.quality.reason ? { reason: crop.quality.reason } : {}) };
      }
    }
    const elapsed = performance.now() - started;
    this.stats.frames++;
    this.stats.frameMs = this.stats.frames === 1 ? elapsed : this.stats.frameMs * 0.9 + elapsed * 0.1;
    return payload;
  }

  private onCaptureError(error: unknown): void {
    console.warn("capture failed:", error);
    if (this.detector.mode !== "crop" || ++this.detectFailures < MAX_DETECT_FAILURES) return;
    this.detector = { mode: "frame", reason: "the face detector kept failing" };
    this.stats.mode = "frame";
    this.callbacks.onModeChange("frame");
  }
}
