import { z } from "zod";
import { Binary, CROP_SIDE, CropBytes, CropSeq, MAX_SEQ } from "./crop";
import { Emotion, Probabilities, ReadingQuality } from "./emotions";
import type { ErrorBody } from "./errors";
import { FeedbackAck, ListenerFeedback } from "./feedback";
import { Marker, Presence, SessionStatus } from "./sessions";
import type { UploadProgress } from "./uploads";

export { CROP_SIDE, MAX_SEQ };
export const MAX_FRAME_BYTES = 200_000;

export const ListenerJoin = z.object({
  v: z.literal(1),
  code: z.string().trim().min(4).max(16),
  name: z.string().trim().max(60).optional(),
  /** Present when resuming after a reconnect. */
  participantId: z.string().max(64).optional(),
  participantToken: z.string().max(256).optional(),
});
export type ListenerJoin = z.infer<typeof ListenerJoin>;

export const ListenerJoined = z.object({
  participantId: z.string(),
  participantToken: z.string(),
  name: z.string(),
  sessionId: z.string(),
  title: z.string(),
  status: SessionStatus,
  /** Crops per second the server wants. */
  rateHz: z.number(),
});
export type ListenerJoined = z.infer<typeof ListenerJoined>;

/**
 * How far a client's clock stamp (capturedAt, sentAt) may lie from the server's clock. Clients drift and
 * re-send what was queued during an outage, but a stamp a day away is a bug or an attack, and one far
 * outside Postgres's timestamp range would poison every batch it is stored with.
 */
export const MAX_CLOCK_DISTANCE_MS = 24 * 3600_000;

/** A client clock stamp, epoch ms, within MAX_CLOCK_DISTANCE_MS of the clock of whoever parses it. */
const ClientStamp = z
  .number()
  .finite()
  .refine((t) => Math.abs(t - Date.now()) <= MAX_CLOCK_DISTANCE_MS, {
    message: `must be epoch milliseconds within ${MAX_CLOCK_DISTANCE_MS / 3600_000} h of the server's clock`,
  });

const CropBase = {
  v: z.literal(1),
  /** The listener's own counter; a re-send of the same crop keeps its seq and capturedAt (the dedupe key). */
  seq: CropSeq,
  capturedAt: ClientStamp,
  /** When this copy was sent (client clock): lets the server place a crop re-sent after an outage at its capture time. */
  sentAt: ClientStamp.optional(),
};

/** A face crop (grey, CROP_SIDE², uint8) or a no-face beat, stamped with its capture time. */
export const ListenerCrop = z.discriminatedUnion("kind", [
  z.object({
    ...CropBase,
    kind: z.literal("face"),
    crop: CropBytes,
  }),
  z.object({
    ...CropBase,
    kind: z.literal("no_face"),
    /** Set when a face was seen but the browser's quality gate refused it. */
    reason: z.enum(["too_small", "too_blurred", "turned_away"]).optional(),
  }),
  z.object({
    ...CropBase,
    kind: z.literal("frame"),
    /** Fallback when the browser cannot run the detector: a small JPEG the server detects in. */
    jpeg: Binary.refine((b) => b.byteLength <= MAX_FRAME_BYTES, `jpeg must be at most ${MAX_FRAME_BYTES} bytes`),
  }),
]);
export type ListenerCrop = z.infer<typeof ListenerCrop>;

/** The listener's reading after the per-listener temporal filter: what its tile and the room mood show. */
export const SmoothedReading = z.object({ dominant: Emotion, probabilities: Probabilities, confidence: z.number() });
export type SmoothedReading = z.infer<typeof SmoothedReading>;

export const ReadingAck = z.object({
  seq: z.number(),
  quality: ReadingQuality,
  /** This crop's own reading, as classified (and stored). */
  dominant: Emotion.nullable(),
  probabilities: Probabilities.nullable(),
  /**
   * The filtered reading after this crop (a face was seen): steadier than one crop's, and what the speaker
   * sees on the tile. Null for a refused face, a no-face beat, or a crop re-sent out of order.
   */
  smoothed: SmoothedReading.nullable().optional(),
});
export type ReadingAck = z.infer<typeof ReadingAck>;

export const ListenerState = z.object({ v: z.literal(1), state: z.enum(["active", "paused", "camera_off"]) });
export type ListenerState = z.infer<typeof ListenerState>;

export const SpeakerJoin = z.object({
  v: z.literal(1),
  sessionId: z.string().max(64),
  speakerToken: z.string().max(256),
  /**
   * Also receive `session:readings` (every reading as it is classified). The dashboard draws the
   * once-a-second `session:mood` and does not ask for them; tools measuring latency do.
   */
  readings: z.boolean().optional(),
});
export type SpeakerJoin = z.infer<typeof SpeakerJoin>;

export const SpeakerMarker = z.object({ v: z.literal(1), label: z.string().trim().min(1).max(100) });
export type SpeakerMarker = z.infer<typeof SpeakerMarker>;

export const Empty = z.object({ v: z.literal(1) });

/** One listener's tile on the dashboard. */
export const ListenerTile = z.object({
  id: z.string(),
  name: z.string(),
  presence: Presence,
  dominant: Emotion.nullable(),
  confidence: z.number().nullable(),
  lastAt: z.number().nullable(),
  /** The listener's capture stamp (its clock) of the reading shown: capture-to-dashboard latency is measured with it. */
  capturedAt: z.number().nullable().optional(),
});
export type ListenerTile = z.infer<typeof ListenerTile>;

/** The room as aggregated on the server, pushed to speakers about once a second. */
export const RoomMood = z.object({
  sessionId: z.string(),
  /** Server time of this snapshot, epoch ms. */
  at: z.number(),
  /** ms since the session went live. */
  tMs: z.number(),
  listenerCount: z.number(),
  presentCount: z.number(),
  /** Share of present listeners (with a face) per dominant emotion, 0..1. */
  shares: Probabilities,
  /** Mean probabilities over present listeners' latest readings; null when nobody is present. */
  average: Probabilities.nullable(),
  tiles: z.array(ListenerTile),
});
export type RoomMood = z.infer<typeof RoomMood>;

/** A single reading pushed to speakers as soon as it is classified (for latency measurement and live tiles). */
export const LiveReading = z.object({
  participantId: z.string(),
  seq: z.number(),
  capturedAt: z.number(),
  serverAt: z.number(),
  quality: ReadingQuality,
  dominant: Emotion.nullable(),
  confidence: z.number().nullable(),
});
export type LiveReading = z.infer<typeof LiveReading>;

export type Ack<T> = (response: { ok: true; data: T } | ({ ok: false } & ErrorBody)) => void;

export interface ClientToServerEvents {
  "listener:join": (payload: ListenerJoin, ack: Ack<ListenerJoined>) => void;
  "listener:crop": (payload: ListenerCrop, ack: Ack<ReadingAck>) => void;
  "listener:state": (payload: ListenerState, ack: Ack<null>) => void;
  "listener:leave": (payload: z.input<typeof Empty>, ack: Ack<null>) => void;
  "listener:feedback": (payload: ListenerFeedback, ack: Ack<FeedbackAck>) => void;
  "speaker:join": (payload: SpeakerJoin, ack: Ack<RoomMood>) => void;
  "speaker:marker": (payload: SpeakerMarker, ack: Ack<Marker>) => void;
  "speaker:start": (payload: z.input<typeof Empty>, ack: Ack<null>) => void;
  "speaker:end": (payload: z.input<typeof Empty>, ack: Ack<null>) => void;
}

export interface ServerToClientEvents {
  "session:mood": (mood: RoomMood) => void;
  "session:readings": (readings: LiveReading[]) => void;
  "session:marker": (marker: Marker) => void;
  "session:status": (status: { status: SessionStatus }) => void;
  "session:config": (config: { rateHz: number }) => void;
  "upload:progress": (p: UploadProgress) => void;
}

/** Zod schema of each client event's payload, for the server's one registration helper. */
export const clientEventSchemas = {
  "listener:join": ListenerJoin,
  "listener:crop": ListenerCrop,
  "listener:state": ListenerState,
  "listener:leave": Empty,
  "listener:feedback": ListenerFeedback,
  "speaker:join": SpeakerJoin,
  "speaker:marker": SpeakerMarker,
  "speaker:start": Empty,
  "speaker:end": Empty,
} as const;
