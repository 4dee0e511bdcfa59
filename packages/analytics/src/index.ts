export { buildReport } from "./report";
export { findKeyMoments, formatClock, MIN_SHIFT_POINTS } from "./moments";
export { clusterListeners, kmeans, silhouette, MIN_SILHOUETTE } from "./clusters";
export { Acc } from "./series";
export type { BucketRow, ReportInput, ReportParticipant } from "./types";
