import { CreatedSession } from "@emotion/protocol";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, requestJson } from "../shared/api";
import { Link, PageShell } from "../shared/layout";
import { speakerHref } from "../shared/speaker-token";
import { loadRecentSessions, loadSpeakerToken, rememberSession, saveSpeakerToken } from "../shared/storage";
import { formatBytes } from "../shared/time";
import { ProgressBar } from "./progress-bar";
import { UploadForm, type Destination, type SessionChoice } from "./upload-form";
import { sendRecording, UploadAborted, uploadErrorMessage, type UploadProgress } from "./upload-request";
import { isFinished } from "./upload-status";
import { useAnalysis, type AnalysisTarget } from "./use-analysis";

type Phase =
  | { kind: "idle" }
  | { kind: "creating" }
  | { kind: "uploading"; sessionId: string; fileName: string; progress: UploadProgress }
  | { kind: "analysing"; sessionId: string; fileName: string }
  | { kind: "refused"; message: string }
  | { kind: "stopped" };

/** Sessions this browser holds a speaker key for, newest first; /upload/<id> or `?session=` adds one that is not in the list. */
function sessionChoices(preselect: string | null): SessionChoice[] {
  const known = loadRecentSessions()
    .filter((s) => loadSpeakerToken(s.id))
    .map((s) => ({ id: s.id, title: `${s.title || "Untitled"}${s.code ? ` (code ${s.code})` : ""}` }));
  if (preselect && !known.some((s) => s.id === preselect) && loadSpeakerToken(preselect)) known.unshift({ id: preselect, title: "The session you came from" });
  return known;
}

/** Upload a recording into a new or existing session and follow its analysis. */
export default function UploadPage({ sessionId: routeSession }: { sessionId?: string } = {}) {
  const preselect = useMemo(() => routeSession ?? new URLSearchParams(window.location.search).get("session"), [routeSession]);
  const [sessions] = useState(() => sessionChoices(preselect));
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [target, setTarget] = useState<AnalysisTarget | null>(null);
  const abortRef = useRef<(() => void) | null>(null);
  const analysis = useAnalysis(phase.kind === "analysing" ? target : null);
  // Leaving the page stops a transfer in flight; an analysis already queued goes on on the server.
  useEffect(() => () => abortRef.current?.(), []);

  const start = useCallback(async (file: File, to: Destination) => {
    setTarget(null);
    let sessionId: string;
    let token: string | null;
    try {
      if (to.kind === "new") {
        setPhase({ kind: "creating" });
        const created = await requestJson("/api/sessions", CreatedSession, { method: "POST", body: { title: to.title } });
        saveSpeakerToken(created.id, created.speakerToken);
        rememberSession({ id: created.id, title: to.title, code: created.code, createdAt: Date.now() });
        [sessionId, token] = [created.id, created.speakerToken];
      } else {
        [sessionId, token] = [to.sessionId, loadSpeakerToken(to.sessionId)];
        if (!token) throw new ApiError("FORBIDDEN", "no speaker key", 403);
      }
      setPhase({ kind: "uploading", sessionId, fileName: file.name, progress: { loaded: 0, total: file.size } });
      const request = sendRecording(sessionId, token, file, (progress) => setPhase((p) => (p.kind === "uploading" ? { ...p, progress } : p)));
      abortRef.current = request.abort;
      const uploadId = await request.done;
      setTarget({ sessionId, token, uploadId });
      setPhase({ kind: "analysing", sessionId, fileName: file.name });
    } catch (error) {
      if (error instanceof UploadAborted) setPhase({ kind: "stopped" });
      else setPhase({ kind: "refused", message: error instanceof ApiError ? uploadErrorMessage(error) : "The upload did not work. Try again." });
    } finally {
      abortRef.current = null;
    }
  }, []);

  const isBusy =
    phase.kind === "creating" || phase.kind === "uploading" || (phase.kind === "analysing" && !(analysis.state && isFinished(analysis.state.status)));
  return (
    <PageShell>
      <section className="hero">
        <h1>Analyse a recording</h1>
        <p className="lede">Upload a video of your audience and read the same report as for a live session: emotions over time, key moments and groups.</p>
      </section>
      <UploadForm sessions={sessions} preselect={preselect} isBusy={isBusy} onSubmit={(file, to) => void start(file, to)} />
      {phase.kind === "refused" && (
        <p className="alert error narrow-alert" role="alert" data-testid="upload-error">
          {phase.message}
        </p>
      )}
      {phase.kind === "stopped" && (
        <p className="alert info narrow-alert" role="status">
          The upload was cancelled. Nothing was stored.
        </p>
      )}
      {phase.kind === "creating" && <p className="muted narrow-alert">Creating the session…</p>}
      {phase.kind === "uploading" && (
        <section className="card narrow" aria-labelledby="sending-heading">
          <h2 id="sending-heading">Sending {phase.fileName}</h2>
          <ProgressBar value={phase.progress.total > 0 ? phase.progress.loaded / phase.progress.total : null} label="Upload" testId="upload-progress" />
          <div className="progress-row">
            <span className="muted small">
              {formatBytes(phase.progress.loaded)} of {formatBytes(phase.progress.total)}
            </span>
            <button type="button" className="button danger-outline small-button" onClick={() => abortRef.current?.()}>
              Cancel
            </button>
          </div>
        </section>
      )}
      {phase.kind === "analysing" && target && <AnalysisCard fileName={phase.fileName} target={target} analysis={analysis} />}
    </PageShell>
  );
}

function AnalysisCard({ fileName, target, analysis }: { fileName: string; target: AnalysisTarget; analysis: ReturnType<typeof useAnalysis> }) {
  const { state, cancel, cancelError } = analysis;
  const status = state?.status ?? "queued";
  const reportHref = speakerHref("report", target.sessionId, target.token);
  const faces = state?.faces ?? 0;
  const facesText = faces === 1 ? "1 face" : `${faces} faces`;
  return (
    <section className="card narrow" aria-labelledby="analysis-heading" data-testid="analysis" data-status={status}>
      <h2 id="analysis-heading">Analysing {fileName}</h2>
      <ProgressBar value={status === "queued" ? null : (state?.progress ?? 0)} label="Analysis" testId="analysis-progress" />
      <div className="progress-row">
        <span className="small" role="status" data-testid="analysis-status">
          {status === "queued" && "Uploaded. Waiting for the analyser…"}
          {status === "processing" && `Finding and reading faces: ${Math.round((state?.progress ?? 0) * 100)}% · ${facesText} so far`}
          {status === "done" && `Done: ${facesText} found.`}
          {status === "failed" && "The analysis failed."}
          {status === "cancelled" && "Cancelled. Nothing of this recording was stored."}
        </span>
        {(status === "queued" || status === "processing") && (
          <button type="button" className="button danger-outline small-button" onClick={() => void cancel()} data-testid="analysis-cancel">
            Cancel
          </button>
        )}
      </div>
      {status === "failed" && (
        <p className="alert error" role="alert" data-testid="upload-error">
          {state?.error ?? "The server gave no reason."}
        </p>
      )}
      {cancelError && (
        <p className="alert error" role="alert">
          {cancelError}
        </p>
      )}
      {status === "done" && (
        <div className="row">
          <Link to={reportHref} className="button primary" data-testid="open-report">
            Open the report
          </Link>
          <Link to={speakerHref("dashboard", target.sessionId, target.token)} className="button ghost">
            Dashboard
          </Link>
        </div>
      )}
    </section>
  );
}
