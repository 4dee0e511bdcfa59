import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply } from "fastify";

/** Client-side routes of the web app that must answer with index.html. */
export const SPA_ROUTES = ["/", "/join/*", "/dashboard/*", "/report/*", "/upload", "/upload/*", "/models"];

// Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer) in the listener's browser.
function isolate(reply: { header(name: string, value: string): unknown }) {
  reply.header("Cross-Origin-Opener-Policy", "same-origin");
  reply.header("Cross-Origin-Embedder-Policy", "require-corp");
}

/** Serves the built web app (apps/web/dist) when it exists; otherwise `/` points to the API docs. */
export const webRoutes: FastifyPluginAsync<{ root: string }> = async (app, { root }) => {
  if (!existsSync(join(root, "index.html"))) {
    app.log.warn({ root }, "web app not built (pnpm --filter @emotion/web build); serving the API only");
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply.type("text/html").send('<!doctype html><title>Emotion analytics</title><p>The web app is not built. API docs: <a href="/docs">/docs</a></p>'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    index: false,
    cacheControl: false,
    setHeaders: (res, path) => {
      isolate({ header: (n, v) => res.setHeader(n, v) });
      // Vite's hashed assets never change; everything else is revalidated.
      res.setHeader("Cache-Control", path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  const sendIndex = async (_request: unknown, reply: FastifyReply) => {
    isolate(reply);
    return reply.header("Cache-Control", "no-cache").sendFile("index.html");
  };
  for (const url of SPA_ROUTES) app.get(url, { schema: { hide: true } }, sendIndex);
};
