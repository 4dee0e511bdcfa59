import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * One face per segment, in the 1920-px-wide demo photographs of @vladmandic/face-api: box [x, y, size]
 * of a frontal face (found once with the project's BlazeFace). Each segment frames that face the way a
 * webcam would, about 45% of the frame wide.
 */
const SEGMENTS: Array<{ photo: number; face: [number, number, number] }> = [
  { photo: 1, face: [1453, 158, 302] },
  { photo: 3, face: [1072, 240, 286] },
  { photo: 1, face: [797, 410, 272] },
  { photo: 5, face: [1002, 173, 346] },
  { photo: 6, face: [1434, 293, 277] },
  { photo: 6, face: [225, 519, 260] },
];

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 10;
const SECONDS_PER_FACE = 1;

export function hasFfmpeg(): Promise<boolean> {
  return run("ffmpeg", ["-version"]).then(
    () => true,
    () => false,
  );
}

/**
 * The ffmpeg filter that frames a face of a demo photograph as a webcam would: `zoomOut` times the face's
 * size wide, the face a little above the middle, kept inside the photo (all are 1920 wide and at least
 * 1280 high), scaled to the camera's 640x480.
 */
function webcamView([x, y, size]: [number, number, number], zoomOut: number): string {
  const cropW = Math.min(1920, Math.round(size * zoomOut));
  const cropH = Math.min(1280, Math.round((cropW * HEIGHT) / WIDTH));
  const left = Math.min(Math.max(0, Math.round(x + size / 2 - cropW / 2)), 1920 - cropW);
  const top = Math.min(Math.max(0, Math.round(y + size / 2 - cropH * 0.45)), 1280 - cropH);
  return `crop=${cropW}:${cropH}:${left}:${top},scale=${WIDTH}:${HEIGHT},setsar=1,format=yuv420p`;
}

/** Builds a looping fake-camera video (.y4m, 640x480) from face photographs and answers its path. */
export function buildFakeCamera(dir: string): Promise<string> {
  return writeCamera(
    dir,
    "fake-camera",
    SEGMENTS.map((segment) => ({ ...segment, zoomOut: 2.2, seconds: SECONDS_PER_FACE })),
  );
}

/** Writes a looping fake-camera video (.y4m, 640x480) of webcam views of demo photographs, one after the other. */
async function writeCamera(dir: string, name: string, views: Array<StillView & { seconds: number }>): Promise<string> {
  const demo = join(dirname(require.resolve("@vladmandic/face-api/package.json")), "demo");
  const inputs = views.flatMap(({ photo, seconds }) => [
    "-loop",
    "1",
    "-framerate",
    String(FPS),
    "-t",
    String(seconds),
    "-i",
    join(demo, `sample${photo}.jpg`),
  ]);
  const filters = views.map(({ face, zoomOut }, i) => `[${i}:v]${webcamView(face, zoomOut)}[v${i}]`);
  const concat = `${views.map((_, i) => `[v${i}]`).join("")}concat=n=${views.length}:v=1:a=0[out]`;
  const output = join(dir, `${name}.y4m`);
  const args = [
    "-v",
    "error",
    "-y",
    ...inputs,
    "-filter_complex",
    [...filters, concat].join(";"),
    "-map",
    "[out]",
    "-r",
    String(FPS),
    "-pix_fmt",
    "yuv420p",
    output,
  ];
  await run("ffmpeg", args);
  return output;
}

/** A webcam view of one face in a face-api demo photograph: the face's box [x, y, size] and how wide to frame it. */
export interface StillView {
  photo: number;
  face: [number, number, number];
  /** Frame width as a multiple of the face's size (2.2 frames the face like a webcam; more shows the background). */
  zoomOut: number;
}

/** A fake-camera video (.y4m, 640x480) that holds one still view of a photograph, as a listener sitting still. */
export function buildStillCamera(dir: string, name: string, view: StillView): Promise<string> {
  return writeCamera(dir, name, [{ ...view, seconds: 3 }]);
}
