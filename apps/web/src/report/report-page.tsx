import { Link, PageShell } from "../shared/layout";

/** Placeholder until the report view (issue 4) lands: says so plainly instead of pretending. */
export default function ReportPage({ sessionId }: { sessionId: string }) {
  return (
    <PageShell>
      <section className="card narrow">
        <p className="eyebrow">Report</p>
        <h1>The report view is not available yet</h1>
        <p>Post-session reports are coming in a later version. The live dashboard still shows the room while the session runs.</p>
        <p>
          <Link to={`/dashboard/${encodeURIComponent(sessionId)}`}>Back to the dashboard</Link>
        </p>
      </section>
    </PageShell>
  );
}
