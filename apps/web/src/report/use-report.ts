import { SessionReport } from "@emotion/protocol";
import { useEffect, useState } from "react";
import { ApiError, requestJson } from "../shared/api";

export const LIVE_REFRESH_MS = 10_000;

export interface ReportState {
  report: SessionReport | null;
  /** A message for a failed load; with a report already shown it means the refresh failed. */
  error: string | null;
  updatedAt: number | null;
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401 || error.status === 403)
      return "This report link is not valid for this session. Open the dashboard link you got when you created it.";
    if (error.code === "NOT_FOUND") return "There is no session with this id.";
    return error.message;
  }
  return "The report could not be read. Try again in a moment.";
}

/** Loads the session's report; while the session is live (or a recording is analysed into it) it refreshes every 10 s. */
export function useReport(sessionId: string, token: string | null): ReportState & { reload(): void } {
  const [state, setState] = useState<ReportState>({ report: null, error: null, updatedAt: null });
  const [generation, setGeneration] = useState(0);
  const isLive = state.report?.session.status === "live";

  useEffect(() => {
    if (!token) return;
    let isCancelled = false;
    const load = () =>
      requestJson(`/api/sessions/${encodeURIComponent(sessionId)}/report`, SessionReport, { token })
        .then((report) => !isCancelled && setState({ report, error: null, updatedAt: Date.now() }))
        .catch((error: unknown) => !isCancelled && setState((s) => ({ ...s, error: messageOf(error) })));
    void load();
    const timer = isLive ? window.setInterval(() => void load(), LIVE_REFRESH_MS) : undefined;
    return () => {
      isCancelled = true;
      window.clearInterval(timer);
    };
  }, [sessionId, token, isLive, generation]);

  return { ...state, reload: () => setGeneration((g) => g + 1) };
}
