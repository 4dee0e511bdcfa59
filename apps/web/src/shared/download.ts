import { ErrorBody } from "@emotion/protocol";
import { ApiError } from "./api";

function fileNameOf(disposition: string | null, fallback: string): string {
  const match = disposition ? /filename="?([^";]+)"?/i.exec(disposition) : null;
  return match?.[1] ?? fallback;
}

/**
 * Fetches a speaker-only file with the bearer token (it is not in a cookie, so a plain link cannot
 * carry it) and saves it through a Blob URL under the server's file name.
 */
export async function downloadWithToken(path: string, token: string, fallbackName: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  } catch {
    throw new ApiError("NETWORK", "The server cannot be reached. Check your connection and try again.");
  }
  if (!response.ok) {
    const parsed = ErrorBody.safeParse(await response.json().catch(() => null));
    if (parsed.success) throw new ApiError(parsed.data.error.code, parsed.data.error.message, response.status);
    throw new ApiError("INTERNAL", `The server answered ${response.status}.`, response.status);
  }
  const name = fileNameOf(response.headers.get("content-disposition"), fallbackName);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the save in some browsers.
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
  return name;
}
