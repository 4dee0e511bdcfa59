/** Why the camera could not start, in words a listener can act on. */
export interface CameraProblem {
  kind: "denied" | "missing" | "busy" | "unsupported" | "other";
  message: string;
}

/** Asks for the front camera at a modest resolution (the detector works on small frames). */
export async function startCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error("getUserMedia unavailable"), { name: "NotSupportedError" });
  }
  return navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15, max: 30 } },
  });
}

export function stopCamera(stream: MediaStream | null): void {
  stream?.getTracks().forEach((track) => track.stop());
}

export function describeCameraError(error: unknown): CameraProblem {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return {
        kind: "denied",
        message: "Camera access was blocked. Allow the camera for this site (the camera icon in the address bar), then try again.",
      };
    case "NotFoundError":
    case "OverconstrainedError":
      return { kind: "missing", message: "No camera was found. Connect a camera, or check that it is enabled, then try again." };
    case "NotReadableError":
    case "AbortError":
      return {
        kind: "busy",
        message: "The camera is in use by another application or tab. Close the other app (a video call, for example) and try again.",
      };
    case "NotSupportedError":
    case "TypeError":
      return {
        kind: "unsupported",
        message: "This browser cannot use the camera here. Use a recent Chrome, Edge, Firefox or Safari over https.",
      };
    default:
      return { kind: "other", message: "The camera could not be started. Try again, or reload the page." };
  }
}
