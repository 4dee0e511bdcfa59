import { lazy, Suspense } from "react";
import { HomePage } from "./home/home-page";
import { matchRoute, usePathname } from "./shared/router";
import { Link, PageShell } from "./shared/layout";

// The listener page pulls in onnxruntime-web and the dashboard pulls in recharts: load them only where needed.
const JoinPage = lazy(() => import("./join/join-page"));
const DashboardPage = lazy(() => import("./dashboard/dashboard-page"));
const ReportPage = lazy(() => import("./report/report-page"));
const UploadPage = lazy(() => import("./upload/upload-page"));
const ModelsPage = lazy(() => import("./models/models-page"));

export function App() {
  const route = matchRoute(usePathname());
  return (
    <Suspense fallback={<p className="page-loading">Loading…</p>}>
      {route.name === "home" && <HomePage />}
      {route.name === "join" && <JoinPage code={route.code} />}
      {route.name === "dashboard" && <DashboardPage key={route.sessionId} sessionId={route.sessionId} />}
      {route.name === "report" && <ReportPage key={route.sessionId} sessionId={route.sessionId} />}
      {route.name === "upload" && <UploadPage key={route.sessionId ?? ""} sessionId={route.sessionId} />}
      {route.name === "models" && <ModelsPage />}
      {route.name === "not_found" && (
        <PageShell>
          <section className="card narrow">
            <h1>Page not found</h1>
            <p>
              There is nothing at this address. <Link to="/">Go to the start page</Link>.
            </p>
          </section>
        </PageShell>
      )}
    </Suspense>
  );
}
