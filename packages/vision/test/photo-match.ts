import type { Face } from "../src/types";
import type { Photo, PhotoFace, Region } from "./photos";

export interface PhotoVerdict {
  /** Each listed face found, with the detection that found it. */
  matched: Array<{ face: PhotoFace; detection: Face }>;
  /** Listed frontal faces no detection covers. */
  missed: PhotoFace[];
  /** Detections on no listed face and outside the photo's mayHold regions (a second box on one face counts too). */
  phantoms: Face[];
}

const isWithin = (x: number, y: number, r: Region) => x >= r.x && x <= r.x + r.width && y >= r.y && y <= r.y + r.height;

/** A detection covers a face when the face's point lies in its box (grown by 15 % each side: boxes sit a little high). */
function covers(d: Face, face: PhotoFace): boolean {
  const m = d.box.width * 0.15;
  return isWithin(face.x, face.y, { x: d.box.x - m, y: d.box.y - m, width: d.box.width + 2 * m, height: d.box.height + 2 * m });
}

/** Pairs the detections of a photo with its listed faces (nearest covering detection, each used once). */
export function matchFaces(photo: Photo, detections: Face[]): PhotoVerdict {
  const centre = (d: Face) => ({ x: d.box.x + d.box.width / 2, y: d.box.y + d.box.height / 2 });
  const free = new Set(detections);
  const matched: PhotoVerdict["matched"] = [];
  const missed: PhotoFace[] = [];
  for (const face of photo.faces) {
    const near = [...free]
      .filter((d) => covers(d, face))
      .sort((a, b) => {
        const ca = centre(a),
          cb = centre(b);
        return Math.hypot(ca.x - face.x, ca.y - face.y) - Math.hypot(cb.x - face.x, cb.y - face.y);
      })[0];
    if (near) {
      free.delete(near);
      matched.push({ face, detection: near });
    } else if (face.pose === "frontal") missed.push(face);
  }
  const phantoms = [...free].filter((d) => {
    const c = centre(d);
    return !photo.mayHold.some((r) => isWithin(c.x, c.y, r));
  });
  return { matched, missed, phantoms };
}
