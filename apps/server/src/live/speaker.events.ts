import type { Db } from "@emotion/db";
import { AppError } from "@emotion/protocol";
import type { FastifyBaseLogger } from "fastify";
import { authorizeSpeaker } from "../sessions";
import type { LiveHub } from "./hub";
import { registerEvent } from "./register";
import { readingsRoom, speakersRoom, type AppSocket } from "./types";

/** Speaker events: join the dashboard room, add markers, start and end. */
export function registerSpeakerEvents(socket: AppSocket, deps: { db: Db; hub: LiveHub; log: FastifyBaseLogger }): void {
  const { db, hub, log } = deps;
  const speakerSession = () => {
    if (!socket.data.speakerOf) throw new AppError("UNAUTHORIZED", "join as the speaker first (speaker:join)");
    return socket.data.speakerOf;
  };

  registerEvent(
    socket,
    "speaker:join",
    async (p) => {
      const session = await authorizeSpeaker(db, p.sessionId, p.speakerToken);
      const room = await hub.room(session.id);
      if (!room) throw new AppError("NOT_FOUND", `no session ${p.sessionId}`);
      socket.data.speakerOf = session.id;
      await socket.join(p.readings ? [speakersRoom(session.id), readingsRoom(session.id)] : speakersRoom(session.id));
      return room.mood();
    },
    log,
  );

  registerEvent(
    socket,
    "speaker:marker",
    async (p) => {
      const session = await db.getSession(speakerSession());
      if (!session) throw new AppError("NOT_FOUND", "the session no longer exists");
      return hub.addMarker(session, p.label);
    },
    log,
  );

  registerEvent(
    socket,
    "speaker:start",
    async () => {
      await hub.setStatus(speakerSession(), "live");
      return null;
    },
    log,
  );

  registerEvent(
    socket,
    "speaker:end",
    async () => {
      await hub.setStatus(speakerSession(), "ended");
      return null;
    },
    log,
  );
}
