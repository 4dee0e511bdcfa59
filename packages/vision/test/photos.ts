import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

/*
 * The photo set for face detection and head pose: real photographs shipped by npm packages, both MIT
 * (LICENSE files checked: "MIT License, Copyright (c) Vladimir Mandic"):
 * - @vladmandic/face-api 1.7.15, demo/sample1..6.jpg: group photos of 1920 px, 3 to 5 people;
 * - @vladmandic/human 3.3.6, assets/: a collage, screenshots of its demos (some with faces), drawings.
 * Each face was counted and placed by looking at the images. Then harder cases made from them with
 * sharp: mirror images, rotations, crops of a grid of small faces, faces pasted on busy backgrounds, and
 * face-free crops on which the earlier detector (whole frame, score >= 0.6) reported a face.
 */

const require = createRequire(import.meta.url);
const FACE_API = join(dirname(require.resolve("@vladmandic/face-api/package.json")), "demo");
// @vladmandic/human's exports map hides package.json: its assets are found through our own node_modules
const HUMAN = join(dirname(fileURLToPath(import.meta.url)), "../node_modules/@vladmandic/human/assets");

/** A face of the photo: a point on it (the middle of the face) and how it is turned. */
export interface PhotoFace {
  x: number;
  y: number;
  /** frontal: facing the camera, turned up to ~40°, must be found and read; profile: may be found, must be refused as turned away. */
  pose: "frontal" | "profile";
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Photo {
  name: string;
  bytes: Buffer;
  faces: PhotoFace[];
  /** Where a detection is neither required nor a phantom: thumbnails too small to find, faces drawn over, an avatar, a face diagram. */
  mayHold: Region[];
}

const faceApi = (i: number) => readFileSync(join(FACE_API, `sample${i}.jpg`));
const human = (file: string) => readFileSync(join(HUMAN, file));
const f = (x: number, y: number, pose: PhotoFace["pose"] = "frontal"): PhotoFace => ({ x, y, pose });
const isInside = (p: { x: number; y: number }, r: Region) => p.x >= r.x && p.x < r.x + r.width && p.y >= r.y && p.y < r.y + r.height;

/** The photographs as shipped, with their faces. */
export function shippedPhotos(): Photo[] {
  return [
    { name: "sample1", bytes: faceApi(1), faces: [f(518, 496), f(937, 558), f(1567, 339)], mayHold: [] },
    { name: "sample2", bytes: faceApi(2), faces: [f(1558, 289), f(983, 360), f(445, 291, "profile")], mayHold: [] },
    { name: "sample3", bytes: faceApi(3), faces: [f(1183, 378), f(698, 485), f(1588, 452)], mayHold: [] },
    { name: "sample4", bytes: faceApi(4), faces: [f(755, 211), f(1086, 313), f(339, 340), f(1363, 287)], mayHold: [] },
    { name: "sample5", bytes: faceApi(5), faces: [f(860, 242), f(1522, 547), f(471, 1052), f(670, 565), f(1201, 347)], mayHold: [] },
    { name: "sample6", bytes: faceApi(6), faces: [f(783, 501), f(1261, 468), f(1590, 434), f(355, 646)], mayHold: [] },
    // a party photo with every face drawn over by the demo's boxes and labels, and a strip of thumbnails
    {
      name: "human samples",
      bytes: human("samples.jpg"),
      faces: [],
      mayHold: [
        { x: 0, y: 0, width: 1280, height: 125 },
        { x: 0, y: 380, width: 1280, height: 320 },
      ],
    },
    // five face tiles (the fifth grey), above them thumbnails of group photos
    {
      name: "human facedetect",
      bytes: human("screenshot-facedetect.jpg"),
      faces: [f(83, 418), f(241, 417), f(401, 420), f(545, 417), f(703, 420)],
      mayHold: [{ x: 0, y: 80, width: 800, height: 175 }],
    },
    { name: "human faceid", bytes: human("screenshot-faceid.jpg"), faces: [f(83, 213)], mayHold: [] },
    // one large face, then a grid of ~100 faces of ~110 px in a 1920 px frame (found in the crops below)
    {
      name: "human facematch",
      bytes: human("screenshot-facematch.jpg"),
      faces: [f(87, 125)],
      mayHold: [
        { x: 180, y: 0, width: 1740, height: 954 },
        { x: 0, y: 270, width: 1920, height: 684 },
      ],
    },
    // a rendered avatar, and a webcam inset whose face the demo drew a mesh over
    {
      name: "human vrm",
      bytes: human("screenshot-vrm.jpg"),
      faces: [],
      mayHold: [
        { x: 100, y: 40, width: 150, height: 150 },
        { x: 475, y: 0, width: 325, height: 245 },
      ],
    },
    { name: "human facemesh drawing", bytes: human("facemesh.png"), faces: [], mayHold: [{ x: 0, y: 0, width: 4096, height: 3572 }] },
    { name: "human typedoc", bytes: human("screenshot-typedoc.png"), faces: [], mayHold: [] },
    { name: "human menu", bytes: human("screenshot-menu.png"), faces: [], mayHold: [] },
    { name: "human results", bytes: human("screenshot-results.png"), faces: [], mayHold: [] },
    { name: "human icon", bytes: human("icon.png"), faces: [], mayHold: [] },
  ];
}

async function sizeOf(bytes: Buffer): Promise<{ width: number; height: number }> {
  const m = await sharp(bytes).metadata();
  return { width: m.width!, height: m.height! };
}

/** The photo mirrored left to right: the same faces, mirrored. */
export async function mirrorPhoto(p: Photo): Promise<Photo> {
  const { width } = await sizeOf(p.bytes);
  return {
    name: `${p.name} mirrored`,
    bytes: await sharp(p.bytes).flop().png().toBuffer(),
    faces: p.faces.map((face) => ({ ...face, x: width - face.x })),
    mayHold: p.mayHold.map((r) => ({ ...r, x: width - r.x - r.width })),
  };
}

/** The photo turned `degrees` clockwise on a grey canvas that holds all of it. */
export async function rotatePhoto(p: Photo, degrees: number): Promise<Photo> {
  const { width, height } = await sizeOf(p.bytes);
  const bytes = await sharp(p.bytes).rotate(degrees, { background: "#808080" }).png().toBuffer();
  const out = await sizeOf(bytes);
  const a = (degrees * Math.PI) / 180,
    cos = Math.cos(a),
    sin = Math.sin(a);
  const turn = (x: number, y: number) => {
    const dx = x - width / 2,
      dy = y - height / 2;
    return { x: out.width / 2 + dx * cos - dy * sin, y: out.height / 2 + dx * sin + dy * cos };
  };
  return { name: `${p.name} turned ${degrees}°`, bytes, faces: p.faces.map((face) => ({ ...face, ...turn(face.x, face.y) })), mayHold: [] };
}

/** A part of the photo, with the faces inside it. */
export async function cropPhoto(p: Photo, r: Region, name: string): Promise<Photo> {
  const bytes = await sharp(p.bytes).extract({ left: r.x, top: r.y, width: r.width, height: r.height }).png().toBuffer();
  const inside = p.faces.filter((face) => isInside(face, r));
  return { name, bytes, faces: inside.map((face) => ({ ...face, x: face.x - r.x, y: face.y - r.y })), mayHold: [] };
}

/** Two 600x240 crops of the facematch grid: 2 rows of 6 faces each, ~65 px faces in a 600 px frame. */
export async function faceGridCrops(): Promise<Photo[]> {
  const bytes = human("screenshot-facematch.jpg");
  const grid = (xs: number[], ys: number[]) => ys.flatMap((y) => xs.map((x) => f(x, y)));
  const crop = async (left: number, top: number, faces: PhotoFace[], name: string, mayHold: Region[] = []): Promise<Photo> => ({
    name,
    bytes: await sharp(bytes).extract({ left, top, width: 600, height: 240 }).png().toBuffer(),
    faces,
    mayHold: [{ x: 0, y: 215, width: 600, height: 25 }, ...mayHold], // the tops of the next row's tiles
  });
  // row 2, column 4 of the first crop is a face censored by a coarse mosaic: found or not, it is no phantom
  const censored = { x: 336, y: 131, width: 80, height: 80 };
  const isCensored = (face: PhotoFace) => isInside(face, censored);
  return [
    await crop(
      0,
      280,
      grid([55, 158, 268, 376, 481, 576], [59, 169]).filter((face) => !isCensored(face)),
      "facematch grid rows 1-2",
      [censored],
    ),
    await crop(960, 500, grid([49, 160, 266, 372, 477, 576], [63, 176]), "facematch grid rows 3-4"),
  ];
}

interface Paste {
  background: [Buffer, Region];
  face: [Buffer, Region, { x: number; y: number }];
}

/** A face (head and shoulders of a sample) pasted on a face-free part of another photo: busy backgrounds. */
async function pastePhoto(name: string, { background, face }: Paste, frame: [number, number], faceHeight: number, at: [number, number]): Promise<Photo> {
  const [bgBytes, bgRegion] = background;
  const [faceBytes, faceRegion, centre] = face;
  const bg = await sharp(bgBytes)
    .extract({ left: bgRegion.x, top: bgRegion.y, width: bgRegion.width, height: bgRegion.height })
    .resize(frame[0], frame[1], { fit: "cover" })
    .png()
    .toBuffer();
  const k = faceHeight / faceRegion.height;
  const head = await sharp(faceBytes)
    .extract({ left: faceRegion.x, top: faceRegion.y, width: faceRegion.width, height: faceRegion.height })
    .resize({ height: faceHeight })
    .png()
    .toBuffer();
  const { width: w } = await sizeOf(head);
  const left = Math.round((frame[0] - w) * at[0]),
    top = Math.round((frame[1] - faceHeight) * at[1]);
  const bytes = await sharp(bg)
    .composite([{ input: head, left, top }])
    .jpeg({ quality: 90 })
    .toBuffer();
  return { name, bytes, faces: [f(left + centre.x * k, top + centre.y * k)], mayHold: [] };
}

/** Face-free parts of the samples: on these the whole-frame detector at 0.6 reported faces. */
const PHANTOM_GROUNDS: Array<[number | string, Region]> = [
  ["screenshot-typedoc.png", { x: 28, y: 13, width: 599, height: 917 }],
  ["screenshot-typedoc.png", { x: 37, y: 135, width: 328, height: 803 }],
  [6, { x: 190, y: 969, width: 912, height: 493 }],
  [3, { x: 443, y: 707, width: 915, height: 379 }],
  ["screenshot-typedoc.png", { x: 35, y: 70, width: 501, height: 767 }],
  [1, { x: 599, y: 902, width: 640, height: 242 }],
  ["screenshot-typedoc.png", { x: 52, y: 90, width: 584, height: 861 }],
  // on these the first version of the up-close check still saw a face (a dark door, hair)
  [3, { x: 18, y: 23, width: 876, height: 239 }],
  [2, { x: 332, y: 673, width: 1441, height: 624 }],
  [3, { x: 43, y: 2, width: 1476, height: 297 }],
];

const source = (s: number | string) => (typeof s === "number" ? faceApi(s) : human(s));

/** The harder cases made from the shipped photos. */
export async function craftedPhotos(): Promise<Photo[]> {
  const shipped = shippedPhotos();
  const byName = (n: string) => shipped.find((p) => p.name === n)!;
  const out: Photo[] = [];
  for (const n of ["sample1", "sample2", "sample3", "sample4", "sample5", "sample6", "human facedetect"]) out.push(await mirrorPhoto(byName(n)));
  out.push(await rotatePhoto(byName("sample6"), 15), await rotatePhoto(byName("sample3"), -15));
  // the profile up close, and turned a little
  const profile = await cropPhoto(byName("sample2"), { x: 150, y: 0, width: 700, height: 650 }, "sample2 profile");
  out.push(profile, await rotatePhoto(profile, 10), await mirrorPhoto(profile));
  out.push(...(await faceGridCrops()));
  const heads: Array<Paste["face"]> = [
    [faceApi(3), { x: 1015, y: 164, width: 400, height: 440 }, { x: 168, y: 214 }],
    [faceApi(6), { x: 1400, y: 250, width: 380, height: 400 }, { x: 190, y: 184 }],
    [faceApi(1), { x: 330, y: 320, width: 360, height: 380 }, { x: 188, y: 176 }],
  ];
  const grounds: Array<Paste["background"]> = [
    [faceApi(1), { x: 0, y: 760, width: 1920, height: 520 }],
    [faceApi(3), { x: 0, y: 0, width: 1920, height: 300 }],
    [faceApi(4), { x: 0, y: 700, width: 1920, height: 748 }],
    [faceApi(5), { x: 900, y: 700, width: 1020, height: 698 }],
  ];
  const frames: Array<[number, number]> = [
    [1600, 900],
    [640, 480],
    [1024, 768],
  ];
  for (let i = 0; i < 12; i++) {
    const frame = frames[i % 3]!;
    const at: [number, number] = [[0.2, 0.5, 0.8][i % 3]!, [0.1, 0.5, 0.9][(i >> 1) % 3]!];
    out.push(
      await pastePhoto(
        `pasted face ${i + 1}`,
        { background: grounds[i % 4]!, face: heads[i % 3]! },
        frame,
        Math.round(frame[1] * [0.35, 0.22, 0.3][i % 3]!),
        at,
      ),
    );
  }
  for (const [i, [s, r]] of PHANTOM_GROUNDS.entries()) {
    const bytes = await sharp(source(s)).extract({ left: r.x, top: r.y, width: r.width, height: r.height }).png().toBuffer();
    out.push({ name: `face-free ground ${i + 1}`, bytes, faces: [], mayHold: [] });
  }
  return out;
}
