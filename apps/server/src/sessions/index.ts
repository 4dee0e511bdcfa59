// The sessions module's API for the rest of the server (live/ imports "../sessions").
export { bearerOf, generateCode, generateToken, hashToken, isTokenValid, normaliseCode } from "./tokens";
export { authorizeSpeaker, createSession, joinUrlOf, sessionTime, toMarker, toSessionDetail } from "./session.service";
export { requireSpeaker, speakerSessionOf, type SessionIdOf } from "./require-speaker";
