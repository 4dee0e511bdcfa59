import type { z } from "zod";
import { AppError, clientEventSchemas, describeZodError, type Ack, type ClientToServerEvents } from "@emotion/protocol";
import type { FastifyBaseLogger } from "fastify";
import { toAppError } from "../http/errors";
import type { AppSocket } from "./types";

type EventName = keyof ClientToServerEvents;
type AckData<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends Ack<infer T> ? T : never;
export type Payload<E extends EventName> = z.output<(typeof clientEventSchemas)[E]>;
export type EventHandler<E extends EventName> = (payload: Payload<E>, socket: AppSocket) => Promise<AckData<E>>;

/**
 * The one way to handle a client event: the payload is parsed with its schema from the protocol, the
 * handler's result is acked as `{ ok: true, data }`, and any failure as `{ ok: false, error: { code, message } }`.
 */
export function registerEvent<E extends EventName>(socket: AppSocket, event: E, handler: EventHandler<E>, log: FastifyBaseLogger): void {
  const schema = clientEventSchemas[event] as z.ZodType;
  const listener = async (payload: unknown, ack?: unknown) => {
    const respond = typeof ack === "function" ? (ack as (r: unknown) => void) : () => {};
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      respond({ ok: false, ...new AppError("VALIDATION_FAILED", `${event}: ${describeZodError(parsed.error)}`).toBody() });
      return;
    }
    try {
      respond({ ok: true, data: await handler(parsed.data as Payload<E>, socket) });
    } catch (error) {
      const appError = toAppError(error, { maxUploadBytes: 0 });
      if (!appError || appError.status >= 500) log.error({ err: error, event, socket: socket.id }, "socket handler failed");
      const body = appError?.toBody() ?? { error: { code: "INTERNAL" as const, message: `internal error in ${event}` } };
      respond({ ok: false, ...body });
    }
  };
  socket.on(event, listener as never);
}
