export { probeVideo, readFrames, parseProbe, scaledSize, VideoError } from "./video";
export type { VideoInfo, VideoFrame, ReadFramesOptions } from "./video";
export { resolveFfmpeg } from "./ffmpeg";
export { analyzeVideo, trackVideo } from "./video-analysis";
export type {
  AnalyzeVideoOptions,
  VideoAnalysis,
  TrackedFace,
  TrackedReading,
  TrackVideoOptions,
  VideoTracking,
  FaceSummary,
  FaceReadings,
} from "./video-analysis";
