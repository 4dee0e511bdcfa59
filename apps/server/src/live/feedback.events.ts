import type { Db } from "@emotion/db";
import { AppError, MAX_FEEDBACK_PER_MINUTE } from "@emotion/protocol";
import type { FastifyBaseLogger } from "fastify";
import type { LiveHub } from "./hub";
import { registerEvent } from "./register";
import type { AppSocket } from "./types";

export interface FeedbackDeps {
  db: Db;
  log: FastifyBaseLogger;
  /** One per server: the corrections budget hangs on it, so a listener's budget survives a reconnect. */
  hub: LiveHub;
}

const WINDOW_MS = 60_000;
/** Listeners whose windows are kept before stale ones are swept: bounds the limiter's memory. */
const SWEEP_AT = 10_000;

/** Corrections per participant and minute (fixed windows): a listener cannot flood the training data. */
export class FeedbackLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();
  constructor(readonly maxPerMinute = MAX_FEEDBACK_PER_MINUTE) {}

  /** Counts one correction of `participantId`; false when its minute's budget is spent. */
  take(participantId: string, now = Date.now()): boolean {
    if (this.windows.size >= SWEEP_AT) for (const [id, w] of this.windows) if (now - w.startedAt >= WINDOW_MS) this.windows.delete(id);
    let window = this.windows.get(participantId);
    if (!window || now - window.startedAt >= WINDOW_MS) this.windows.set(participantId, (window = { startedAt: now, count: 0 }));
    if (window.count >= this.maxPerMinute) return false;
    window.count++;
    return true;
  }
}

const limiters = new WeakMap<LiveHub, FeedbackLimiter>();

/**
 * `listener:feedback`: a joined listener corrects one of its readings, with its crop when it consented.
 * Its own event with its own schema, so a bad correction is refused alone and the crop stream is
 * untouched; nothing is sent to the speaker's sockets (a speaker never sees a crop).
 */
export function registerFeedbackEvents(socket: AppSocket, deps: FeedbackDeps): void {
  let limiter = limiters.get(deps.hub);
  if (!limiter) limiters.set(deps.hub, (limiter = new FeedbackLimiter()));
  const budget = limiter;

  registerEvent(
    socket,
    "listener:feedback",
    async (p) => {
      const who = socket.data.listener;
      if (!who) throw new AppError("UNAUTHORIZED", "join a session first (listener:join)");
      if (!budget.take(who.participantId))
        throw new AppError("RATE_LIMITED", `send at most ${budget.maxPerMinute} corrections per minute (MAX_FEEDBACK_PER_MINUTE)`);
      const stored = await deps.db.addCorrection({
        sessionId: who.sessionId,
        participantId: who.participantId,
        seq: p.seq,
        label: p.label,
        crop: p.crop ?? null,
      });
      return { id: stored.id, predicted: stored.predicted };
    },
    deps.log,
  );
}
