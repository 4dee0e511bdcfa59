import { ErrorBody, type ErrorCode } from "@emotion/protocol";

/** A failed API call or socket ack, carrying the server's error code. */
export class ApiError extends Error {
  readonly code: ErrorCode | "NETWORK";
  readonly status: number;
  constructor(code: ErrorCode | "NETWORK", message: string, status = 0) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

interface RequestOptions {
  method?: "GET" | "POST" | "DELETE";
  body?: unknown;
  token?: string;
}

/** Calls the JSON API and parses the answer with `schema`; errors become ApiError with the server's code. */
export async function requestJson<T>(path: string, schema: { parse(v: unknown): T }, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError("NETWORK", "The server cannot be reached. Check your connection and try again.");
  }
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const parsed = ErrorBody.safeParse(payload);
    if (parsed.success) throw new ApiError(parsed.data.error.code, parsed.data.error.message, response.status);
    throw new ApiError("INTERNAL", `The server answered ${response.status}.`, response.status);
  }
  return schema.parse(payload);
}

/** Makes a possibly relative URL from the server absolute, for sharing. */
export function absoluteUrl(url: string): string {
  return new URL(url, window.location.origin).href;
}
