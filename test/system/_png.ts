/**
 * A minimal PNG reader for checking screenshots: 8-bit RGB or RGBA, not interlaced (what
 * Chromium writes). Throws on anything else, so a broken file fails the test that reads it.
 */
import { inflateSync } from "node:zlib";

export interface Png {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: number;
  /** Unfiltered pixel bytes, row after row. */
  pixels: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decodes `buf`; see the module comment for what it accepts. */
export function readPng(buf: Uint8Array): Png {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 8 || SIGNATURE.some((b, i) => buf[i] !== b)) throw new Error("Not a PNG: the 8-byte signature is missing");
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  for (let at = 8; at + 8 <= buf.length && !sawEnd;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...buf.subarray(at + 4, at + 8));
    const data = buf.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, colour, , , interlace] = data.subarray(8, 13);
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
        throw new Error(`Unsupported PNG: got depth ${depth}, colour type ${colour}, interlace ${interlace}, expected 8-bit RGB(A), not interlaced`);
      }
      channels = colour === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") sawEnd = true;
    at += 12 + length;
  }
  if (channels === 0 || !sawEnd) throw new Error(`Broken PNG: ${channels === 0 ? "no IHDR chunk" : "no IEND chunk"}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`Broken PNG: got ${raw.length} bytes of image data, expected ${height * (stride + 1)}`);
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels]! : 0;
      const b = y > 0 ? pixels[row - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[row - stride + x - channels]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`Broken PNG: row ${y} has filter type ${filter}, expected 0 to 4`);
      pixels[row + x] = (raw[src + x]! + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** How many pixels have exactly the colour `rgb` (`0xRRGGBB`). */
export function countColour(png: Png, rgb: number): number {
  const r = rgb >> 16;
  const g = (rgb >> 8) & 0xff;
  const b = rgb & 0xff;
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    if (png.pixels[i] === r && png.pixels[i + 1] === g && png.pixels[i + 2] === b) n++;
  }
  return n;
}
