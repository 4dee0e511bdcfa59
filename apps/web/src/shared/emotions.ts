import { EMOTIONS, EMOTION_COLORS, type Emotion, type Presence } from "@emotion/protocol";

/** One colour per emotion, used by every chart, bar and tile (shared with the PDF report). */
export { EMOTION_COLORS };

export const EMOTION_LABELS: Record<Emotion, string> = {
  angry: "Angry",
  disgust: "Disgust",
  fear: "Fear",
  happy: "Happy",
  sad: "Sad",
  surprise: "Surprise",
  neutral: "Neutral",
};

export const PRESENCE_LABELS: Record<Presence, string> = {
  face: "Face seen",
  no_face: "No face",
  camera_off: "Camera off",
  paused: "Paused",
  left: "Left",
};

export { EMOTIONS };

export function formatPercent(value: number): string {
  return `${Math.round(value * 100)}%`;
}
