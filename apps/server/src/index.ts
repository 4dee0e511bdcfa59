import { buildApp } from "./app";
import { env } from "./env";

const app = await buildApp();
try {
  await app.listen({ port: env.PORT, host: env.HOST });
} catch (err) {
  app.log.fatal({ err }, "could not listen");
  process.exit(1);
}

let isShuttingDown = false;

/**
 * Stops accepting, stores what was accepted (within SHUTDOWN_TIMEOUT_MS) and exits: 0 when everything
 * accepted was stored, 1 (with the count in the log) when something could not be, or when `reason` is a
 * crash. A second signal while this runs exits at once.
 */
function shutDown(reason: string, exitCode: number): void {
  if (isShuttingDown) {
    app.log.warn({ reason }, "second shutdown request: exiting now");
    process.exit(exitCode || 1);
  }
  isShuttingDown = true;
  app.log.info({ reason }, "shutting down: storing accepted readings");
  // A hung close must not keep a crashed process alive: the deadline plus a margin, then out.
  setTimeout(() => {
    app.log.error("shutdown took too long; exiting");
    process.exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS + 10_000).unref();
  app.close().then(
    () => {
      const unstored = app.live.unstoredAtClose;
      if (unstored) app.log.error({ unstored }, `exiting with ${unstored} accepted readings not stored`);
      process.exit(unstored ? 1 : exitCode);
    },
    (err: unknown) => {
      app.log.error({ err }, "shutdown failed");
      process.exit(1);
    },
  );
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => shutDown(signal, 0));

// A promise nobody awaited, or an exception nobody caught, is a bug: log it loudly, then leave cleanly
// (store what was accepted) rather than run on in an unknown state or die without a word.
process.on("unhandledRejection", (err) => {
  app.log.fatal({ err }, "unhandled promise rejection");
  shutDown("unhandledRejection", 1);
});
process.on("uncaughtException", (err) => {
  app.log.fatal({ err }, "uncaught exception");
  shutDown("uncaughtException", 1);
});
