import type { JoinInfo } from "@emotion/protocol";
import type { FormEvent } from "react";

export function ConsentScreen({ info, name, onNameChange, onAccept }: { info: JoinInfo; name: string; onNameChange(name: string): void; onAccept(): void }) {
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    onAccept();
  };
  return (
    <section className="card narrow consent" aria-labelledby="consent-heading">
      <p className="eyebrow">You are invited to</p>
      <h1 className="session-title">{info.title}</h1>
      {info.status === "scheduled" && <p className="alert info">The session has not started yet. You can join now.</p>}
      <form onSubmit={onSubmit} className="stack">
        <label className="field">
          <span>
            Your name <span className="muted">(optional)</span>
          </span>
          <input
            value={name}
            onChange={(e) => onNameChange(e.target.value)}
            maxLength={60}
            placeholder="Leave empty to stay anonymous"
            autoComplete="nickname"
            data-testid="listener-name"
          />
        </label>
        <h2 id="consent-heading">Before you turn on your camera</h2>
        <dl className="consent-list">
          <dt>What is measured</dt>
          <dd>
            Your facial expression, a few times per second, as seven emotion probabilities: angry, disgust, fear, happy, sad, surprise and neutral. Whether a
            face is in view is also recorded.
          </dd>
          <dt>What leaves your device</dt>
          <dd>
            No video leaves your device and none is stored. Faces are found here, in your browser; only a small grey crop of your face (48 × 48 pixels) is sent,
            classified, and discarded right away. Only the emotion probabilities are kept. If your browser cannot find faces itself, small still frames are sent
            instead and discarded the same way.
          </dd>
          <dt>What the speaker sees</dt>
          <dd>The room’s overall mood and, for you, your current emotion and your name if you give one. The speaker never sees your face or your camera.</dd>
          <dt>Your control</dt>
          <dd>You can pause or leave at any time; pausing turns your camera off.</dd>
        </dl>
        <button type="submit" className="button primary" data-testid="consent-accept">
          I agree, turn on my camera
        </button>
      </form>
    </section>
  );
}
