export { probeVideo, readFrames, parseProbe, scaledSize } from "./video";
export type { VideoInfo, VideoFrame, ReadFramesOptions } from "./video";
export { resolveFfmpeg } from "./ffmpeg";
export { analyzeVideo } from "./video-analysis";
export type { AnalyzeVideoOptions, VideoAnalysis, TrackedFace, TrackedReading } from "./video-analysis";
