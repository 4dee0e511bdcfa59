import { useRef, useState, type FormEvent } from "react";
import { formatBytes } from "../shared/time";
import { checkRecording, VIDEO_ACCEPT } from "./upload-request";

export interface SessionChoice {
  id: string;
  title: string;
}

export type Destination = { kind: "new"; title: string } | { kind: "existing"; sessionId: string };

/** Picks the recording and the session it goes into. */
export function UploadForm({
  sessions,
  preselect,
  isBusy,
  onSubmit,
}: {
  sessions: SessionChoice[];
  preselect: string | null;
  isBusy: boolean;
  onSubmit(file: File, to: Destination): void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [mode, setMode] = useState<"new" | "existing">(preselect && sessions.some((s) => s.id === preselect) ? "existing" : "new");
  const [title, setTitle] = useState("");
  const [sessionId, setSessionId] = useState(preselect && sessions.some((s) => s.id === preselect) ? preselect : (sessions[0]?.id ?? ""));
  const input = useRef<HTMLInputElement>(null);

  const pick = (picked: File | null) => {
    setFile(picked);
    setFileError(picked ? checkRecording(picked) : null);
    if (picked && !title) setTitle(picked.name.replace(/\.[^.]+$/, "").slice(0, 200));
  };
  const canSubmit = !isBusy && file !== null && fileError === null && (mode === "new" ? title.trim().length > 0 : sessionId !== "");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file || !canSubmit) return;
    onSubmit(file, mode === "new" ? { kind: "new", title: title.trim() } : { kind: "existing", sessionId });
  };

  return (
    <form className="card narrow stack" onSubmit={submit} aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload a recording</h2>
      <div className="field">
        <span>Recording</span>
        <div className="file-row">
          <input
            ref={input}
            type="file"
            accept={VIDEO_ACCEPT}
            onChange={(e) => pick(e.target.files?.[0] ?? null)}
            data-testid="upload-file"
            className="file-input"
            id="upload-file"
            disabled={isBusy}
          />
          <label htmlFor="upload-file" className="button secondary">
            {file ? "Choose another file" : "Choose a video"}
          </label>
          <span className="muted small file-name" data-testid="upload-file-name">
            {file ? `${file.name} · ${formatBytes(file.size)}` : "mp4, webm or mov"}
          </span>
        </div>
      </div>
      {fileError && (
        <p className="alert error" role="alert">
          {fileError}
        </p>
      )}
      <fieldset className="choice">
        <legend>Into</legend>
        <label className="radio">
          <input type="radio" name="destination" checked={mode === "new"} onChange={() => setMode("new")} disabled={isBusy} data-testid="upload-new-session" />A
          new session
        </label>
        {mode === "new" && (
          <label className="field indent">
            <span>Title</span>
            <input
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              maxLength={200}
              placeholder="e.g. Keynote rehearsal"
              disabled={isBusy}
              data-testid="upload-title"
            />
          </label>
        )}
        <label className="radio">
          <input
            type="radio"
            name="destination"
            checked={mode === "existing"}
            onChange={() => setMode("existing")}
            disabled={isBusy || sessions.length === 0}
            data-testid="upload-existing-session"
          />
          One of your sessions {sessions.length === 0 && <span className="muted small">(none in this browser yet)</span>}
        </label>
        {mode === "existing" && sessions.length > 0 && (
          <label className="field indent">
            <span>Session</span>
            <select value={sessionId} onChange={(e) => setSessionId(e.target.value)} disabled={isBusy} data-testid="upload-session-select">
              {sessions.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title}
                </option>
              ))}
            </select>
          </label>
        )}
      </fieldset>
      <p className="muted small">
        The server samples a couple of frames per second and tracks every face: each one gets its own timeline (“Face 1”, “Face 2”, …). The video file is
        deleted after the analysis; only the emotion readings are kept.
      </p>
      <button type="submit" className="button primary" disabled={!canSubmit} data-testid="upload-start">
        Upload and analyse
      </button>
    </form>
  );
}
