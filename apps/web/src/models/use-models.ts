import { ActivationResult, ModelsResponse } from "@emotion/protocol";
import { useCallback, useEffect, useState } from "react";
import { ApiError, requestJson } from "../shared/api";

export interface ModelsState {
  data: ModelsResponse | null;
  error: ApiError | null;
  isLoading: boolean;
}

/** Loads GET /api/models with the admin token; `reload` after a promotion or rollback. */
export function useModels(token: string | null): ModelsState & { reload(): void } {
  const [state, setState] = useState<ModelsState>({ data: null, error: null, isLoading: false });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!token) return;
    let isCancelled = false;
    setState((s) => ({ ...s, isLoading: true }));
    requestJson("/api/models", ModelsResponse, { token })
      .then((data) => !isCancelled && setState({ data, error: null, isLoading: false }))
      .catch(
        (error: unknown) =>
          !isCancelled &&
          setState((s) => ({ ...s, isLoading: false, error: error instanceof ApiError ? error : new ApiError("INTERNAL", "The models could not be read.") })),
      );
    return () => {
      isCancelled = true;
    };
  }, [token, generation]);

  return { ...state, reload: useCallback(() => setGeneration((g) => g + 1), []) };
}

export function promoteModel(token: string, version: number, force: boolean): Promise<ActivationResult> {
  return requestJson(`/api/models/${version}/promote`, ActivationResult, { method: "POST", body: { force }, token });
}

export function rollbackModel(token: string): Promise<ActivationResult> {
  return requestJson("/api/models/rollback", ActivationResult, { method: "POST", body: {}, token });
}
