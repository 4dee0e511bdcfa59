import type { Emotion, ListenerTile as Tile, Presence } from "@emotion/protocol";
import { memo, useMemo } from "react";
import { EMOTION_COLORS, EMOTION_LABELS, formatPercent, PRESENCE_LABELS } from "../shared/emotions";

interface TileProps {
  name: string;
  presence: Presence;
  dominant: Emotion | null;
  confidence: number | null;
}

/** Props are primitives, so a tile re-renders only when its own listener changed. */
const ListenerTile = memo(function ListenerTile({ name, presence, dominant, confidence }: TileProps) {
  const emotion = presence === "face" ? dominant : null;
  return (
    <li
      className={`tile presence-${presence}`}
      data-testid="listener-tile"
      data-emotion={emotion ?? ""}
      data-presence={presence}
      style={emotion ? { borderLeftColor: EMOTION_COLORS[emotion] } : undefined}
    >
      <span className="tile-name" title={name}>
        {name}
      </span>
      <span className="tile-emotion">
        {emotion ? (
          <>
            <span className="swatch" style={{ background: EMOTION_COLORS[emotion] }} aria-hidden="true" />
            {EMOTION_LABELS[emotion]}
            {confidence !== null && <span className="muted"> {formatPercent(confidence)}</span>}
          </>
        ) : (
          <span className="muted">–</span>
        )}
      </span>
      <span className="tile-presence">{PRESENCE_LABELS[presence]}</span>
    </li>
  );
});

const SUMMARY_LABELS: Record<Presence, string> = {
  face: "with a face in view",
  no_face: "without a face",
  paused: "paused",
  camera_off: "with camera off",
  left: "left",
};

const PRESENCE_ORDER: Record<Presence, number> = { face: 0, no_face: 1, paused: 2, camera_off: 3, left: 4 };

export const ListenerGrid = memo(function ListenerGrid({ tiles }: { tiles: Tile[] }) {
  // Listeners who left sink to the end; otherwise the server's (join) order stays stable.
  const ordered = useMemo(() => [...tiles].sort((a, b) => Number(a.presence === "left") - Number(b.presence === "left")), [tiles]);
  const counts = useMemo(() => {
    const c: Record<Presence, number> = { face: 0, no_face: 0, paused: 0, camera_off: 0, left: 0 };
    for (const t of tiles) c[t.presence]++;
    return c;
  }, [tiles]);
  return (
    <section className="card listeners" aria-labelledby="listeners-heading">
      <div className="card-head">
        <h2 id="listeners-heading">Listeners</h2>
        <p className="muted small">
          {(Object.keys(PRESENCE_ORDER) as Presence[])
            .filter((p) => counts[p] > 0)
            .map((p) => `${counts[p]} ${SUMMARY_LABELS[p]}`)
            .join(" · ") || "Nobody has joined yet"}
        </p>
      </div>
      {ordered.length > 0 && (
        <ul className="tile-grid">
          {ordered.map((t) => (
            <ListenerTile key={t.id} name={t.name} presence={t.presence} dominant={t.dominant} confidence={t.confidence} />
          ))}
        </ul>
      )}
    </section>
  );
});
