import type { Emotion } from "@emotion/protocol";

/** One colour per emotion, shared by the web app, the PDF and the CLI's images. */
export const EMOTION_COLOURS: Record<Emotion, string> = {
  angry: "#d1495b",
  disgust: "#8f6f3b",
  fear: "#7d5ba6",
  happy: "#f2b134",
  sad: "#3d7ebf",
  surprise: "#2fb59c",
  neutral: "#9aa5b1",
};
