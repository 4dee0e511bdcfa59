import { z } from "zod";
import { Emotion } from "./emotions";

/**
 * The card the trainer writes next to each ONNX file. Only the fields the runtime and the registry read
 * are checked; the rest (training details, confusion matrices, extraEval) is kept as it came.
 */
export const ModelCard = z.looseObject({
  classNames: z.array(z.string()).length(7),
  input: z.looseObject({
    name: z.string(),
    size: z.number().int().min(8).max(512),
    channels: z.number().int().min(1).max(3),
    normalisation: z.looseObject({ mean: z.number(), std: z.number().positive() }),
  }),
  output: z.looseObject({ name: z.string() }),
  parameters: z.number().int().min(0),
  macsPerFace: z.number().int().min(0),
  publicTest: z.looseObject({ accuracy: z.number().min(0).max(1) }).optional(),
  /** The held-out share of the feedback samples (`--eval-csv`). */
  extraEval: z.looseObject({ accuracy: z.number().min(0).max(1), n: z.number().int().min(0) }).optional(),
});
export type ModelCard = z.infer<typeof ModelCard>;

export const MODEL_STATUSES = ["candidate", "active", "retired"] as const;
export const ModelStatus = z.enum(MODEL_STATUSES);
export type ModelStatus = z.infer<typeof ModelStatus>;

/** How far below the active version's PublicTest accuracy a candidate may be and still be promoted without force. */
export const PROMOTION_TOLERANCE_POINTS = 0.3;

/** One model version as the registry lists it (no ONNX bytes). */
export const ModelVersionView = z.object({
  version: z.number().int().min(1),
  source: z.enum(["shipped", "trained"]),
  status: ModelStatus,
  active: z.boolean(),
  publicTest: z.object({ accuracy: z.number().nullable() }),
  /** Accuracy on the held-out feedback samples, when the trainer measured it. */
  feedbackEval: z.object({ accuracy: z.number(), n: z.number().int() }).nullable(),
  macsPerFace: z.number().nullable(),
  createdAt: z.string(),
  promotedAt: z.string().nullable(),
});
export type ModelVersionView = z.infer<typeof ModelVersionView>;

/** GET /api/models query: a bounded time window and bucket size for the monitoring figures. */
export const MAX_MONITOR_RANGE_MS = 31 * 24 * 3_600_000;
export const MAX_MONITOR_BUCKETS = 500;
export const ModelsQuery = z
  .object({
    /** Window start, epoch ms (default: `to` minus 24 h). */
    from: z.coerce.number().int().min(0, "from is epoch ms, at least 0").optional(),
    /** Window end, epoch ms (default: now). */
    to: z.coerce.number().int().min(0, "to is epoch ms, at least 0").optional(),
    bucketMs: z.coerce
      .number()
      .int()
      .min(60_000, "bucketMs is at least 60000 (the monitoring rollup is per minute)")
      .max(MAX_MONITOR_RANGE_MS, `bucketMs is at most ${MAX_MONITOR_RANGE_MS}`)
      .refine((v) => v % 60_000 === 0, "bucketMs is a whole number of minutes (a multiple of 60000)")
      .default(3_600_000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { error: "from must be before to", path: ["from"] });
export type ModelsQuery = z.infer<typeof ModelsQuery>;

/** One version over one time bucket. */
export const MonitorBucket = z.object({
  /** Bucket start, epoch ms. */
  start: z.number(),
  /** Readings the version produced (classified faces, refused faces, no-face beats). */
  readings: z.number().int(),
  /** Share of readings without a classification (quality other than ok); null without readings. */
  noReadingShare: z.number().nullable(),
  /** Mean top probability of the classified readings; null without any. */
  meanConfidence: z.number().nullable(),
  corrections: z.number().int(),
  /** Corrections per classified reading; null without classified readings. */
  correctionRate: z.number().nullable(),
});
export type MonitorBucket = z.infer<typeof MonitorBucket>;

/** Corrected confusion: what the model read (null: no reading found) against what the listener said. */
export const ConfusionCell = z.object({ predicted: Emotion.nullable(), label: Emotion, n: z.number().int() });
export type ConfusionCell = z.infer<typeof ConfusionCell>;

export const VersionMonitoring = z.object({
  version: z.number().int(),
  totals: MonitorBucket.omit({ start: true }),
  buckets: z.array(MonitorBucket),
  confusion: z.array(ConfusionCell),
});
export type VersionMonitoring = z.infer<typeof VersionMonitoring>;

export const ModelMonitoring = z.object({
  from: z.number(),
  to: z.number(),
  bucketMs: z.number(),
  versions: z.array(VersionMonitoring),
});
export type ModelMonitoring = z.infer<typeof ModelMonitoring>;

/** GET /api/models. */
export const ModelsResponse = z.object({
  active: z.number().int().nullable(),
  models: z.array(ModelVersionView),
  monitoring: ModelMonitoring,
});
export type ModelsResponse = z.infer<typeof ModelsResponse>;

/** POST /api/models/:version/promote body. */
export const PromoteBody = z.object({ force: z.boolean().default(false) }).strict();
export type PromoteBody = z.infer<typeof PromoteBody>;

/** POST /api/models/:version/promote and POST /api/models/rollback. */
export const ActivationResult = z.object({
  /** The version active now. */
  version: z.number().int(),
  /** The version that was active before. */
  previous: z.number().int().nullable(),
  forced: z.boolean(),
});
export type ActivationResult = z.infer<typeof ActivationResult>;

/** The `:version` path parameter. */
export const ModelVersionParam = z.object({
  version: z.coerce.number().int().min(1, "version is at least 1").max(2_147_483_647, "version is at most 2147483647"),
});

/**
 * models/registry.json: the shipped versions. `file` is an ONNX file under models/ with its card next to it
 * (`.card.json`); exactly one entry is `default`, the version active on a fresh database.
 */
export const ModelRegistry = z
  .object({
    versions: z
      .array(
        z.object({
          version: z.number().int().min(1).max(2_147_483_647),
          file: z.string().regex(/^[A-Za-z0-9._-]+\.onnx$/, "file is a name under models/ ending in .onnx"),
          default: z.boolean().default(false),
        }),
      )
      .min(1, "the registry lists at least one version"),
  })
  .refine((r) => r.versions.filter((v) => v.default).length === 1, { error: "exactly one version is default", path: ["versions"] })
  .refine((r) => new Set(r.versions.map((v) => v.version)).size === r.versions.length, { error: "versions are unique", path: ["versions"] });
export type ModelRegistry = z.infer<typeof ModelRegistry>;
