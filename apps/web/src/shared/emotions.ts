import { EMOTIONS, type Emotion, type Presence } from "@emotion/protocol";

/** One colour per emotion, used by every chart, bar and tile. */
export const EMOTION_COLORS: Record<Emotion, string> = {
  angry: "#d1495b",
  disgust: "#6a994e",
  fear: "#8e6cc4",
  happy: "#e9b949",
  sad: "#3d7ec9",
  surprise: "#f08a4b",
  neutral: "#8d99ae",
};

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
