import type { FastifyInstance, FastifySchema, FastifyTypeProvider } from "fastify";
import { z } from "zod";
import { AppError, describeZodError } from "@emotion/protocol";

/** Route schemas are zod schemas: request parts are parsed (and coerced) with them, types follow. */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this["schema"] extends z.ZodType ? z.output<this["schema"]> : unknown;
  serializer: this["schema"] extends z.ZodType ? z.input<this["schema"]> : unknown;
}

const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;

/** Installs zod validation for request parts; a failure is a 400 VALIDATION_FAILED naming the field. */
export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => (data: unknown) => {
    if (!isZod(schema)) return { value: data };
    const result = schema.safeParse(data ?? (httpPart === "body" ? undefined : {}));
    if (result.success) return { value: result.data };
    const part = httpPart === "querystring" ? "query" : (httpPart ?? "request");
    return { error: new AppError("VALIDATION_FAILED", `${part}: ${describeZodError(result.error)}`) };
  });
  // Responses are built from typed objects; plain JSON is enough.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** Turns the zod schemas of a route into JSON Schema for the OpenAPI document. */
export function zodToOpenApi({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url };
  const convert = (s: unknown, io: "input" | "output") => (isZod(s) ? z.toJSONSchema(s, { io, unrepresentable: "any", target: "openapi-3.0" }) : s);
  const out: Record<string, unknown> = { ...schema };
  for (const part of ["body", "querystring", "params", "headers"] as const) if (part in schema) out[part] = convert(schema[part], "input");
  if (schema.response && typeof schema.response === "object")
    out.response = Object.fromEntries(Object.entries(schema.response).map(([status, s]) => [status, convert(s, "output")]));
  return { schema: out as FastifySchema, url };
}
