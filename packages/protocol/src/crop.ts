import { z } from "zod";

// Shared by the crop stream (socket.ts) and corrections (feedback.ts); its own file so that neither imports the other.

/** Side of a grey face crop in pixels (the model's input); a crop is CROP_SIDE*CROP_SIDE bytes. */
export const CROP_SIDE = 48;

/** Largest `seq` (a Postgres integer): a listener sending 30 crops/s for two years stays below it. */
export const MAX_SEQ = 2_147_483_647;

/** The listener's own crop counter; a correction names the crop it corrects by it. */
export const CropSeq = z.number().int().min(0).max(MAX_SEQ);

/** Binary payload as Socket.IO delivers it (a Buffer in Node, an ArrayBuffer in browsers), as a Uint8Array. */
export const Binary = z
  .custom<Uint8Array>(
    (v) => v instanceof Uint8Array || (typeof ArrayBuffer !== "undefined" && v instanceof ArrayBuffer),
    "must be binary (Uint8Array or ArrayBuffer)",
  )
  .transform((v) => (v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer)));

/** A grey face crop: exactly CROP_SIDE² bytes. */
export const CropBytes = Binary.refine((b) => b.byteLength === CROP_SIDE * CROP_SIDE, `crop must be ${CROP_SIDE * CROP_SIDE} bytes`);
