export { createVision } from "./vision";
export type { CreateVisionOptions, Vision, FaceReadout } from "./vision";
export { cropFace, laplacianVariance, estimateYaw, DEFAULT_QUALITY } from "./crop";
export { FaceTracker } from "./tracker";
export type { TrackerOptions } from "./tracker";
export { decodeDetections, letterboxInput, letterboxOf, ANCHORS, DETECTOR_SIDE } from "./blazeface";
export type { RawImage, Face, FaceCrop, EmotionResult, ModelCard, DetectOptions, QualityOptions, Point } from "./types";
