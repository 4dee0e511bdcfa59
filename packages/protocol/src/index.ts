export {
  EMOTIONS,
  EMOTION_COLORS,
  Emotion,
  Probabilities,
  QualityIssue,
  ReadingQuality,
  Box,
  FaceQuality,
  FacePrediction,
  ImagePrediction,
  toProbabilities,
  dominantOf,
} from "./emotions";
export { ErrorCode, ErrorBody, AppError, describeZodError } from "./errors";
export { SessionStatus, CreateSessionBody, CreatedSession, Presence, ListenerSummary, Marker, SessionDetail, JoinInfo, MarkerBody, Reading } from "./sessions";
export {
  CROP_SIDE,
  MAX_FRAME_BYTES,
  MAX_SEQ,
  MAX_CLOCK_DISTANCE_MS,
  ListenerJoin,
  ListenerJoined,
  ListenerCrop,
  ReadingAck,
  SmoothedReading,
  ListenerState,
  SpeakerJoin,
  SpeakerMarker,
  Empty,
  ListenerTile,
  RoomMood,
  LiveReading,
  clientEventSchemas,
} from "./socket";
export type { Ack, ClientToServerEvents, ServerToClientEvents } from "./socket";
export { TimelineQuery, TimelineBucket, Timeline } from "./timeline";
export { UPLOAD_STATUSES, UPLOAD_INTERRUPTED, UploadStatus, UploadPublicView, UploadProgress, UploadView, isUploadFinished } from "./uploads";
export { RoomPoint, ListenerPoint, ListenerReport, KeyMoment, Cluster, SessionReport } from "./report";
export type { ReadingBucket } from "./report";
export { MAX_FEEDBACK_PER_MINUTE, ListenerFeedback, FeedbackAck, ContributionsDeleted, CorrectionSummary } from "./feedback";
export { CropOutbox } from "./outbox";
export type { CropOutboxOptions, CropOutboxStats } from "./outbox";
export {
  ModelCard,
  MODEL_STATUSES,
  ModelStatus,
  PROMOTION_TOLERANCE_POINTS,
  ModelVersionView,
  MAX_MONITOR_RANGE_MS,
  MAX_MONITOR_BUCKETS,
  ModelsQuery,
  MonitorBucket,
  ConfusionCell,
  VersionMonitoring,
  ModelMonitoring,
  ModelsResponse,
  PromoteBody,
  ActivationResult,
  ModelVersionParam,
  ModelRegistry,
} from "./models";
