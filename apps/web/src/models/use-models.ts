import { ActivationResult, ModelsResponse } from "@emotion/protocol";
import { useCallback, useEffect, useState } from "react";
import { ApiError, requestJson } from "../shared/api";

export interface ModelsState {
  data: ModelsResponse | null;
  error: ApiError | null;
  isLoading: boolean;
}

/** Monitoring windows the page offers: how far back, and the bucket size (whole minutes, as the rollup is per minute). */
export const WINDOWS = [
  { id: "1h", label: "Last hour", spanMs: 3_600_000, bucketMs: 300_000 },
  { id: "24h", label: "Last 24 hours", spanMs: 86_400_000, bucketMs: 3_600_000 },
  { id: "7d", label: "Last 7 days", spanMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 },
  { id: "30d", label: "Last 30 days", spanMs: 30 * 86_400_000, bucketMs: 86_400_000 },
] as const;
export type MonitorWindow = (typeof WINDOWS)[number];

/** Loads GET /api/models with the admin token over `span` (ending now); `reload` after a promotion or rollback. */
export function useModels(token: string | null, span: MonitorWindow): ModelsState & { reload(): void } {
  const [state, setState] = useState<ModelsState>({ data: null, error: null, isLoading: false });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!token) return;
    let isCancelled = false;
    setState((s) => ({ ...s, isLoading: true }));
    const to = Date.now();
    const query = new URLSearchParams({ from: String(to - span.spanMs), to: String(to), bucketMs: String(span.bucketMs) });
    requestJson(`/api/models?${query}`, ModelsResponse, { token })
      .then((data) => !isCancelled && setState({ data, error: null, isLoading: false }))
      .catch(
        (error: unknown) =>
          !isCancelled &&
          setState((s) => ({ ...s, isLoading: false, error: error instanceof ApiError ? error : new ApiError("INTERNAL", "The models could not be read.") })),
      );
    return () => {
      isCancelled = true;
    };
  }, [token, span, generation]);

  return { ...state, reload: useCallback(() => setGeneration((g) => g + 1), []) };
}

export function promoteModel(token: string, version: number, force: boolean): Promise<ActivationResult> {
  return requestJson(`/api/models/${version}/promote`, ActivationResult, { method: "POST", body: { force }, token });
}

export function rollbackModel(token: string): Promise<ActivationResult> {
  return requestJson("/api/models/rollback", ActivationResult, { method: "POST", body: {}, token });
}
