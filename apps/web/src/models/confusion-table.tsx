import type { VersionMonitoring } from "@emotion/protocol";
import { EMOTION_LABELS, EMOTIONS } from "../shared/emotions";
import { confusionMatrix } from "./models-data";

/** Each version's corrected confusion: rows what it read, columns what listeners said they felt. */
export function ConfusionTables({ versions }: { versions: VersionMonitoring[] }) {
  const withCorrections = versions.filter((v) => v.confusion.length > 0);
  return (
    <section className="card" aria-labelledby="confusion-heading" data-testid="model-confusion">
      <h2 id="confusion-heading">Corrected confusion</h2>
      <p className="muted small">
        What each version read (rows) against what the listener said they felt (columns); the diagonal is where the listener agreed.
      </p>
      {withCorrections.length === 0 ? (
        <p className="muted">No corrections in this window.</p>
      ) : (
        withCorrections.map((v) => {
          const matrix = confusionMatrix(v.confusion);
          return (
            <div key={v.version} className="table-scroll">
              <table className="confusion-table" data-testid="confusion-table" data-version={v.version}>
                <caption>
                  Version {v.version}: {matrix.total} {matrix.total === 1 ? "correction" : "corrections"}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Read \ said</th>
                    {EMOTIONS.map((e) => (
                      <th key={e} scope="col" className="num">
                        {EMOTION_LABELS[e]}
                      </th>
                    ))}
                    <th scope="col" className="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {matrix.rows.map((row) => (
                    <tr key={row.predicted ?? "none"}>
                      <th scope="row">{row.predicted ? EMOTION_LABELS[row.predicted] : <span className="muted">no reading</span>}</th>
                      {EMOTIONS.map((e) => (
                        <td key={e} className={`num${row.predicted === e ? " diagonal" : ""}${row.counts[e] === 0 ? " zero" : ""}`}>
                          {row.counts[e]}
                        </td>
                      ))}
                      <td className="num total">{row.total}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        })
      )}
    </section>
  );
}
