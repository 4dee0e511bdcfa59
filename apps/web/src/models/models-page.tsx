import { useState, type FormEvent } from "react";
import { Link, PageShell } from "../shared/layout";
import { loadAdminToken, saveAdminToken } from "./admin-token";
import { ConfusionTables } from "./confusion-table";
import { ModelVersions } from "./model-versions";
import { MonitoringCharts } from "./monitoring-charts";
import { useModels, WINDOWS, type MonitorWindow } from "./use-models";
import "./models.css";

function TokenForm({ onToken, problem }: { onToken(token: string): void; problem: string | null }) {
  const [value, setValue] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) onToken(value.trim());
  };
  return (
    <section className="card narrow" aria-labelledby="token-heading">
      <h1 id="token-heading">Models</h1>
      <p>Versions, monitoring and promotion need the server’s admin token (the ADMIN_TOKEN it was started with). It is kept in this tab only.</p>
      {problem && (
        <p className="alert error" role="alert" data-testid="admin-token-error">
          {problem}
        </p>
      )}
      <form className="token-form" onSubmit={submit}>
        <label className="field grow">
          Admin token
          <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} data-testid="admin-token" required />
        </label>
        <button type="submit" className="button primary" data-testid="admin-token-submit">
          Open
        </button>
      </form>
    </section>
  );
}

/** /models: the model versions (promote, roll back) and how each does over time, for whoever holds the admin token. */
export default function ModelsPage() {
  const [token, setToken] = useState(loadAdminToken);
  const [span, setSpan] = useState<MonitorWindow>(WINDOWS[1]);
  const { data, error, isLoading, reload } = useModels(token, span);
  const isRefused = error?.status === 401 || error?.status === 403;
  const applyToken = (next: string | null) => {
    saveAdminToken(next);
    setToken(next);
  };

  if (!token || (isRefused && !data)) {
    return (
      <PageShell>
        <TokenForm onToken={applyToken} problem={isRefused ? `The server refused this token: ${error.message}` : null} />
      </PageShell>
    );
  }

  return (
    <PageShell
      wide
      actions={
        <>
          <button type="button" className="button ghost" onClick={reload} disabled={isLoading}>
            {isLoading ? "Refreshing…" : "Refresh"}
          </button>
          <button type="button" className="button ghost" onClick={() => applyToken(null)} data-testid="admin-token-forget">
            Forget the token
          </button>
        </>
      }
    >
      <div className="dash-head">
        <div>
          <p className="eyebrow">Models</p>
          <h1 className="session-title">Emotion model versions</h1>
          {data && (
            <p className="muted small" data-testid="active-version">
              Active: {data.active === null ? "none" : `version ${data.active}`}. Servers switch within seconds of a promotion or rollback.
            </p>
          )}
        </div>
        <Link to="/" className="button secondary">
          Start page
        </Link>
      </div>
      {error && (
        <div className="alert error" role="alert">
          <p>{data ? `The page could not be refreshed: ${error.message}` : error.message}</p>
          <button type="button" className="button secondary small-button" onClick={reload}>
            Try again
          </button>
        </div>
      )}
      {data ? (
        <>
          <ModelVersions models={data.models} token={token} onChanged={reload} />
          <MonitoringCharts
            monitoring={data.monitoring}
            windowPicker={
              <label className="monitor-window">
                <span className="visually-hidden">Monitoring window</span>
                <select value={span.id} onChange={(e) => setSpan(WINDOWS.find((w) => w.id === e.target.value) ?? WINDOWS[1])} data-testid="monitor-window">
                  {WINDOWS.map((w) => (
                    <option key={w.id} value={w.id}>
                      {w.label}
                    </option>
                  ))}
                </select>
              </label>
            }
          />
          <ConfusionTables versions={data.monitoring.versions} />
        </>
      ) : (
        !error && <p className="page-loading">Loading the models…</p>
      )}
    </PageShell>
  );
}
