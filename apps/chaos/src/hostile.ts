import { randomBytes } from "node:crypto";
import { io, type Socket } from "socket.io-client";

/** What the hostile side saw: every answer it got, by kind. */
export interface HostileTally {
  socketPayloads: number;
  socketAnswers: Record<string, number>;
  restRequests: number;
  restStatuses: Record<string, number>;
  /** REST answers with status >= 500 (a bug: bad input must get 4xx). */
  rest5xx: Array<{ what: string; status: number }>;
  /** Socket answers coded INTERNAL (the socket equivalent of a 5xx). */
  socketInternal: Array<{ what: string; message: string }>;
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** Payloads for listener:crop that break the protocol one way or another: wrong types, sizes, ranges. */
function badCrop(seq: number): unknown {
  const now = Date.now();
  const variants: Array<() => unknown> = [
    () => ({ v: 1, kind: "face", seq, capturedAt: 1e16, crop: new Uint8Array(2304) }),
    () => ({ v: 1, kind: "no_face", seq, capturedAt: -5 }),
    () => ({ v: 1, kind: "no_face", seq, capturedAt: now - 400 * 86_400_000 }),
    () => ({ v: 1, kind: "no_face", seq: -1, capturedAt: now }),
    () => ({ v: 1, kind: "no_face", seq: 2 ** 53, capturedAt: now }),
    () => ({ v: 1, kind: "no_face", seq: 1.5, capturedAt: now }),
    () => ({ v: 1, kind: "no_face", seq, capturedAt: "yesterday" }),
    () => ({ v: 1, kind: "no_face", seq, capturedAt: null }),
    () => ({ v: 1, kind: "no_face", seq, capturedAt: now, sentAt: 1e18 }),
    () => ({ v: 1, kind: "no_face", seq, capturedAt: now, reason: "bored" }),
    () => ({ v: 1, kind: "face", seq, capturedAt: now, crop: new Uint8Array(2303) }),
    () => ({ v: 1, kind: "face", seq, capturedAt: now, crop: "AAAA" }),
    () => ({ v: 1, kind: "face", seq, capturedAt: now, crop: Array.from({ length: 2304 }, () => 1) }),
    () => ({ v: 1, kind: "frame", seq, capturedAt: now, jpeg: randomBytes(5000) }),
    () => ({ v: 1, kind: "frame", seq, capturedAt: now, jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(20_000)]) }),
    () => ({ v: 1, kind: "frame", seq, capturedAt: now, jpeg: new Uint8Array(250_000) }),
    () => ({ v: 2, kind: "no_face", seq, capturedAt: now }),
    () => ({ v: 1, kind: "smile", seq, capturedAt: now }),
    () => ({ kind: "no_face", seq, capturedAt: now }),
    () => "garbage",
    () => 42,
    () => null,
    () => [1, 2, 3],
    () => ({ v: 1, kind: "no_face", seq: JSON.parse("[".repeat(200) + "]".repeat(200)), capturedAt: now }),
    () => ({ ["__proto__"]: { polluted: true }, v: 1, kind: "no_face", seq, capturedAt: 1e20 }),
  ];
  return pick(variants)();
}

function badOther(event: string): unknown {
  const variants: Record<string, Array<() => unknown>> = {
    "listener:join": [
      () => ({ v: 1, code: "ZZZZZZ" }),
      () => ({ v: 1, code: "x".repeat(5000) }),
      () => ({ v: 1, code: 12 }),
      () => ({ v: 1, code: "AB" }),
      () => ({ v: 1, code: "ZZZZZZ", participantId: "../../etc", participantToken: "t".repeat(10_000) }),
    ],
    "listener:state": [() => ({ v: 1, state: "asleep" }), () => ({ v: 1 }), () => "paused"],
    "listener:leave": [() => ({ v: 7 }), () => null],
    "speaker:join": [() => ({ v: 1, sessionId: "' OR 1=1 --", speakerToken: "x" }), () => ({ v: 1, sessionId: "x".repeat(100_000), speakerToken: "" })],
    "speaker:marker": [() => ({ v: 1, label: "x".repeat(1000) }), () => ({ v: 1, label: "" })],
    "speaker:start": [() => ({})],
    "speaker:end": [() => ({ v: 1 })],
    "no:such:event": [() => ({ v: 1 })],
  };
  return pick(variants[event] ?? [() => null])();
}

/**
 * One hostile browser: joins the session like anyone (its name a spreadsheet formula), then sends
 * `payloads` malformed, oversized and out-of-range payloads on every event, reconnecting when the
 * server drops it (an oversized message closes the socket). Answers what it was told.
 */
export async function runHostileSocket(url: string, code: string, payloads: number, tally: HostileTally): Promise<{ participantId: string | null }> {
  let participantId: string | null = null;
  const events = [
    "listener:crop",
    "listener:crop",
    "listener:crop",
    "listener:join",
    "listener:state",
    "listener:leave",
    "speaker:join",
    "speaker:marker",
    "speaker:start",
    "speaker:end",
    "no:such:event",
  ];
  let socket: Socket | null = null;
  const open = async () => {
    socket?.disconnect();
    socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => socket!.once("connect", resolve).once("connect_error", reject));
    const joined = await socket
      .timeout(5000)
      .emitWithAck("listener:join", { v: 1, code, name: '=HYPERLINK("http://evil.example","x")' })
      .catch(() => null);
    if (joined?.ok) participantId ??= joined.data.participantId;
  };
  await open();
  for (let i = 0; i < payloads; i++) {
    if (!socket!.connected) await open().catch(() => undefined);
    const event = pick(events);
    const payload = event === "listener:crop" ? badCrop(i) : badOther(event);
    tally.socketPayloads++;
    const answer = await socket!
      .timeout(3000)
      .emitWithAck(event, payload)
      .catch((e: Error) => ({ ok: false, error: { code: /timed out/.test(e.message) ? "NO_ANSWER" : "DISCONNECTED", message: e.message } }));
    const key = answer?.ok ? `${event}: ok` : `${event}: ${answer?.error?.code ?? "?"}`;
    bump(tally.socketAnswers, key);
    if (!answer?.ok && answer?.error?.code === "INTERNAL")
      tally.socketInternal.push({ what: `${event} ${JSON.stringify(payload)?.slice(0, 120)}`, message: answer.error.message });
    // A crop that happened to be accepted would be "something hostile stored": every crop here is bad.
  }
  socket!.disconnect();
  return { participantId };
}

/** Hostile REST traffic: bad JSON, bombs, traversal ids, junk uploads, wrong auth, bad query strings. */
export async function runHostileRest(url: string, session: { id: string; code: string }, requests: number, tally: HostileTally): Promise<void> {
  const junk = () => randomBytes(1 + Math.floor(Math.random() * 4000));
  // A PNG header claiming 100000 x 100000 pixels (a decompression bomb) and nothing else.
  const bombPng = Buffer.from("89504e470d0a1a0a0000000d49484452000186a0000186a00806000000", "hex");
  const cases: Array<() => [string, RequestInit & { path: string }]> = [
    () => ["bad JSON", { path: "/api/sessions", method: "POST", headers: { "content-type": "application/json" }, body: "{title:" }],
    () => [
      "huge title",
      { path: "/api/sessions", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "x".repeat(60_000) }) },
    ],
    () => [
      "body too large",
      { path: "/api/sessions", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "x".repeat(200_000) }) },
    ],
    () => ["wrong type", { path: "/api/sessions", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: 5 }) }],
    () => ["traversal id", { path: "/api/sessions/..%2F..%2Fetc%2Fpasswd", method: "GET" }],
    () => [
      "traversal report",
      { path: `/api/sessions/${encodeURIComponent("../../../../etc/passwd")}/report`, method: "GET", headers: { authorization: "Bearer x" } },
    ],
    () => ["no auth timeline", { path: `/api/sessions/${session.id}/timeline`, method: "GET" }],
    () => ["wrong token", { path: `/api/sessions/${session.id}/export.csv`, method: "GET", headers: { authorization: "Bearer nope" } }],
    () => [
      "bad query",
      { path: `/api/sessions/${session.id}/timeline?fromMs=-1&toMs=abc&bucketMs=1e99`, method: "GET", headers: { authorization: "Bearer nope" } },
    ],
    () => ["join lookup junk", { path: `/api/join/${encodeURIComponent("<script>")}`, method: "GET" }],
    () => ["predict junk", { path: "/api/v1/predict", method: "POST", headers: { "content-type": "image/jpeg" }, body: junk() }],
    () => ["predict bomb", { path: "/api/v1/predict", method: "POST", headers: { "content-type": "image/png" }, body: bombPng }],
    () => ["predict wrong type", { path: "/api/v1/predict", method: "POST", headers: { "content-type": "text/plain" }, body: "hello" }],
    () => ["predict empty", { path: "/api/v1/predict", method: "POST", headers: { "content-type": "image/png" }, body: Buffer.alloc(0) }],
    () => [
      "upload junk",
      {
        path: `/api/sessions/${session.id}/uploads`,
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=xyz", authorization: "Bearer nope" },
        body: junk(),
      },
    ],
    () => ["upload status traversal", { path: "/api/uploads/..%2F..%2Fetc%2Fpasswd", method: "GET" }],
    () => ["delete upload", { path: "/api/uploads/00000000-0000-0000-0000-000000000000", method: "DELETE" }],
    () => ["unknown route", { path: "/api/../../etc/passwd", method: "GET" }],
    () => ["method", { path: "/api/sessions", method: "PATCH" }],
  ];
  for (let i = 0; i < requests; i++) {
    const [what, { path, ...init }] = pick(cases)();
    tally.restRequests++;
    const res = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) }).catch((e: Error) => ({
      status: 0,
      text: async () => e.message,
    }));
    bump(tally.restStatuses, `${what}: ${res.status}`);
    if (res.status >= 500 || res.status === 0) tally.rest5xx.push({ what, status: res.status });
    if ("body" in res && res.body) await (res as Response).arrayBuffer().catch(() => undefined);
  }
}
