/** Bilinear resize of a square grey image (for a model whose input side differs from the data's 48). */
export function resizeGrey(src: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to * to);
  const scale = from / to;
  for (let y = 0; y < to; y++) {
    const sy = Math.min(from - 1, Math.max(0, (y + 0.5) * scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(from - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < to; x++) {
      const sx = Math.min(from - 1, Math.max(0, (x + 0.5) * scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(from - 1, x0 + 1);
      const fx = sx - x0;
      const top = src[y0 * from + x0]! * (1 - fx) + src[y0 * from + x1]! * fx;
      const bottom = src[y1 * from + x0]! * (1 - fx) + src[y1 * from + x1]! * fx;
      out[y * to + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return out;
}
