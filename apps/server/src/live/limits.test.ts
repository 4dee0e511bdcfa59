import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { io as connect, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "@emotion/db";
import type { CreatedSession } from "@emotion/protocol";
import { buildApp, type BuildAppOptions } from "../app";

type AckResponse = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

describe("live limits (PGlite)", () => {
  let app: FastifyInstance | null = null;
  let db: Db | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    sockets.splice(0).forEach((c) => c.disconnect());
    await app?.close();
    await db?.close();
    app = db = null;
  });

  async function start(options: Partial<BuildAppOptions>) {
    db = await createDb();
    app = await buildApp({ db, vision: null, logger: false, ...options });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const session: CreatedSession = (await app.inject({ method: "POST", url: "/api/sessions", payload: { title: "limits" } })).json();
    const open = async () => {
      const c = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
      sockets.push(c);
      await new Promise<void>((resolve, reject) => c.once("connect", resolve).once("connect_error", reject));
      return c;
    };
    const call = (c: Socket, event: string, payload: unknown): Promise<AckResponse> => c.timeout(10_000).emitWithAck(event, payload);
    return { session, open, call };
  }

  it("admits MAX_LISTENERS_PER_SESSION listeners and refuses the next with SESSION_FULL, until one leaves", async () => {
    const { session, open, call } = await start({ MAX_LISTENERS_PER_SESSION: 2 });
    const [a, b, c] = [await open(), await open(), await open()];
    expect(await call(a, "listener:join", { v: 1, code: session.code })).toMatchObject({ ok: true });
    expect(await call(b, "listener:join", { v: 1, code: session.code })).toMatchObject({ ok: true });
    const full = await call(c, "listener:join", { v: 1, code: session.code });
    expect(full).toMatchObject({ ok: false, error: { code: "SESSION_FULL", message: expect.stringContaining("MAX_LISTENERS_PER_SESSION") } });
    expect(await call(a, "listener:leave", { v: 1 })).toMatchObject({ ok: true });
    expect(await call(c, "listener:join", { v: 1, code: session.code })).toMatchObject({ ok: true });
  });

  it("throttles failed join attempts per address: after the limit even a right code waits", async () => {
    const { session, open, call } = await start({ MAX_FAILED_JOINS_PER_MINUTE: 3 });
    const c = await open();
    for (let i = 0; i < 3; i++) expect(await call(c, "listener:join", { v: 1, code: `NOPE0${i}` })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    const refused = await call(c, "listener:join", { v: 1, code: session.code });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: "RATE_LIMITED", message: expect.stringMatching(/MAX_FAILED_JOINS_PER_MINUTE=3.*try again in \d+ s/) },
    });
  });

  it("refuses connections beyond MAX_SOCKETS_PER_IP, and admits again once one closes", async () => {
    const { open } = await start({ MAX_SOCKETS_PER_IP: 2 });
    const first = await open();
    await open();
    await expect(open()).rejects.toThrow(/MAX_SOCKETS_PER_IP=2/);
    first.disconnect();
    await expect
      .poll(
        async () =>
          open().then(
            () => true,
            () => false,
          ),
        { timeout: 5000 },
      )
      .toBe(true);
  });

  it("limits a runaway listener to about three times the reading rate", async () => {
    const { session, open, call } = await start({ READING_RATE_HZ: 2 });
    const c = await open();
    await call(c, "listener:join", { v: 1, code: session.code });
    const now = Date.now();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, seq) => call(c, "listener:crop", { v: 1, kind: "no_face", seq, capturedAt: now + seq })));
    const limited = answers.filter((a) => !a.ok && a.error.code === "RATE_LIMITED").length;
    expect(answers.filter((a) => a.ok).length).toBeLessThanOrEqual(14);
    expect(limited).toBeGreaterThanOrEqual(26);
  });

  it("answers NOT_READY, naming MAX_PENDING_READINGS, once that many readings wait for a database that is gone; acks none of them", async () => {
    const { session, open, call } = await start({ MAX_PENDING_READINGS: 3, READING_RATE_HZ: 30, SHUTDOWN_TIMEOUT_MS: 200 });
    const c = await open();
    await call(c, "listener:join", { v: 1, code: session.code });
    const gone = db!;
    db = null;
    await gone.close(); // the database goes away under a running server
    const now = Date.now();
    const waiting = [0, 1, 2].map((seq) => call(c, "listener:crop", { v: 1, kind: "no_face", seq, capturedAt: now + seq }));
    await expect.poll(() => app!.live.writer.pending).toBe(3);
    expect(await call(c, "listener:crop", { v: 1, kind: "no_face", seq: 3, capturedAt: now + 3 })).toMatchObject({
      ok: false,
      error: { code: "NOT_READY", message: expect.stringContaining("MAX_PENDING_READINGS") },
    });
    // the three accepted ones are not acked (they are not stored): their acks wait
    const settled = await Promise.race([Promise.all(waiting).then(() => "acked"), new Promise((r) => setTimeout(() => r("waiting"), 1500))]);
    expect(settled).toBe("waiting");
    expect(app!.live.writer.stats.outages).toBeGreaterThan(0);
    expect(app!.live.writer.stats.quarantined).toBe(0);
    sockets.splice(0).forEach((s) => s.disconnect());
  });
});
