import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadVision, decodeImage } from "./node";
import type { Vision } from "./vision";
import type { Face, RawImage } from "./types";
import { craftedPhotos, shippedPhotos, mirrorPhoto, type Photo } from "../test/photos";
import { matchFaces } from "../test/photo-match";

const photos = [...shippedPhotos(), ...(await craftedPhotos())];
let vision: Vision;
const seen = new Map<string, { image: RawImage; faces: Face[] }>();

beforeAll(async () => {
  vision = await loadVision({ threads: 1 });
}, 60_000);
afterAll(() => vision.release());

async function look(photo: Photo) {
  let hit = seen.get(photo.name);
  if (!hit) {
    const image = await decodeImage(photo.bytes);
    hit = { image, faces: await vision.detectFaces(image) };
    seen.set(photo.name, hit);
  }
  return hit;
}

describe("faces of the photo set (test/photos.ts)", () => {
  it.each(photos.map((p) => [p.name, p] as const))("%s: every face found, no phantom face", async (_name, photo) => {
    const { faces } = await look(photo);
    const verdict = matchFaces(photo, faces);
    expect(verdict.missed, "faces not found").toEqual([]);
    expect(
      verdict.phantoms.map((f) => ({ score: f.score, box: f.box })),
      "detections on no face",
    ).toEqual([]);
  });

  it.each(photos.filter((p) => p.faces.length > 0).map((p) => [p.name, p] as const))(
    "%s: near-frontal faces pass the head-pose gate, profiles are refused",
    async (_name, photo) => {
      const { image, faces } = await look(photo);
      for (const { face, detection } of matchFaces(photo, faces).matched) {
        const { quality } = vision.cropFace(image, detection);
        const where = `face at ${Math.round(face.x)},${Math.round(face.y)}, yaw ${quality.yaw.toFixed(0)}°`;
        if (face.pose === "frontal") expect(quality.reason, where).not.toBe("turned_away");
        else expect(quality.reason, where).toBe("turned_away");
      }
    },
  );
});

describe("head pose on mirror images", () => {
  const originals = shippedPhotos().filter((p) => p.faces.length > 0);
  it.each(originals.map((p) => [p.name, p] as const))("%s mirrored: every face's yaw is negated", async (_name, photo) => {
    const mirrored = await mirrorPhoto(photo);
    const a = matchFaces(photo, (await look(photo)).faces).matched;
    const b = matchFaces(mirrored, (await look(mirrored)).faces).matched;
    expect(b).toHaveLength(a.length);
    for (const { face, detection } of a) {
      const twin = b.find((m) => Math.abs(m.face.y - face.y) < 1e-6 && Math.abs(m.face.x - mirrored.faces[photo.faces.indexOf(face)]!.x) < 1e-6)!;
      const yaw = vision.cropFace((await look(photo)).image, detection).quality.yaw;
      const twinYaw = vision.cropFace((await look(mirrored)).image, twin.detection).quality.yaw;
      expect(twinYaw, `face at ${face.x},${face.y}: ${yaw.toFixed(1)}° vs mirrored ${twinYaw.toFixed(1)}°`).toBeCloseTo(-yaw, -1);
    }
  });
});
