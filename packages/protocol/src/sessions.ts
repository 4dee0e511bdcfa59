import { z } from "zod";
import { Emotion, Probabilities, ReadingQuality } from "./emotions";

export const SessionStatus = z.enum(["scheduled", "live", "ended"]);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const CreateSessionBody = z.object({ title: z.string().trim().min(1, "title is required").max(200, "title is at most 200 characters") });
export type CreateSessionBody = z.infer<typeof CreateSessionBody>;

export const CreatedSession = z.object({
  id: z.string(),
  code: z.string(),
  joinUrl: z.string(),
  dashboardUrl: z.string(),
  speakerToken: z.string(),
});
export type CreatedSession = z.infer<typeof CreatedSession>;

export const Presence = z.enum(["face", "no_face", "camera_off", "paused", "left"]);
export type Presence = z.infer<typeof Presence>;

export const ListenerSummary = z.object({
  id: z.string(),
  name: z.string(),
  /** "live" for a listener on the join link, "upload" for a face tracked in an uploaded recording. */
  kind: z.enum(["live", "upload"]),
  readings: z.number().int(),
  joinedAt: z.string(),
  leftAt: z.string().nullable(),
});
export type ListenerSummary = z.infer<typeof ListenerSummary>;

export const Marker = z.object({ id: z.string(), label: z.string(), tMs: z.number() });
export type Marker = z.infer<typeof Marker>;

export const SessionDetail = z.object({
  id: z.string(),
  title: z.string(),
  code: z.string(),
  status: SessionStatus,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  joinUrl: z.string(),
  listeners: z.array(ListenerSummary),
  markers: z.array(Marker),
});
export type SessionDetail = z.infer<typeof SessionDetail>;

/** Public facts a listener sees before joining (GET /api/join/:code). */
export const JoinInfo = z.object({ sessionId: z.string(), title: z.string(), status: SessionStatus });
export type JoinInfo = z.infer<typeof JoinInfo>;

export const MarkerBody = z.object({ label: z.string().trim().min(1, "label is required").max(100, "label is at most 100 characters") });
export type MarkerBody = z.infer<typeof MarkerBody>;

/** One stored reading as the speaker sees it. */
export const Reading = z.object({
  participantId: z.string(),
  capturedAt: z.number(),
  tMs: z.number(),
  quality: ReadingQuality,
  dominant: Emotion.nullable(),
  probabilities: Probabilities.nullable(),
});
export type Reading = z.infer<typeof Reading>;
