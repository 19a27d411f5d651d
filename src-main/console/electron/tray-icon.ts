/**
 * The tray icons, drawn in code as PNG so every variant (normal, alert badge, paused) exists at
 * every size without binary assets to keep in step: a shield (blue, grey while paused) with a
 * lens ring, and a red badge while alerts are open.
 */
import zlib from 'node:zlib';
import type { TrayIconVariant } from './tray-model.js';

/** Colours as RGB. */
const BLUE = [0x1f, 0x5f, 0xbf] as const;
const GREY = [0x80, 0x80, 0x80] as const;
const RED = [0xd3, 0x2f, 0x2f] as const;
const WHITE = [0xff, 0xff, 0xff] as const;

type Rgb = readonly [number, number, number];

/** Sub-samples per pixel side, for smooth edges. */
const SUPERSAMPLE = 4;

/** Half-width of the shield at height `v` (0 top … 1 bottom), or -1 outside it. */
function shieldHalfWidth(v: number): number {
  if (v < 0.06 || v > 0.94) return -1;
  if (v <= 0.5) return 0.4;
  const t = (v - 0.5) / 0.44;
  return 0.4 * Math.sqrt(Math.max(0, 1 - t * t));
}

/** The colour at a point of the unit square, or null for transparent. */
function sample(u: number, v: number, variant: TrayIconVariant): Rgb | null {
  const badge = variant === 'alert' || variant === 'paused-alert';
  if (badge) {
    const d = Math.hypot(u - 0.74, v - 0.26);
    if (d <= 0.2) return RED;
    if (d <= 0.26) return WHITE;
  }
  const half = shieldHalfWidth(v);
  if (half < 0 || Math.abs(u - 0.5) > half) return null;
  const ring = Math.hypot(u - 0.5, v - 0.46);
  if (ring >= 0.12 && ring <= 0.19) return WHITE;
  return variant === 'paused' || variant === 'paused-alert' ? GREY : BLUE;
}

/** RGBA pixels (straight alpha) of a `size` × `size` icon. */
export function drawTrayIcon(variant: TrayIconVariant, size: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  const n = SUPERSAMPLE * SUPERSAMPLE;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const colour = sample(
            (x + (sx + 0.5) / SUPERSAMPLE) / size,
            (y + (sy + 0.5) / SUPERSAMPLE) / size,
            variant,
          );
          if (!colour) continue;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          covered++;
        }
      }
      const i = (y * size + x) * 4;
      if (covered === 0) continue;
      pixels[i] = Math.round(r / covered);
      pixels[i + 1] = Math.round(g / covered);
      pixels[i + 2] = Math.round(b / covered);
      pixels[i + 3] = Math.round((255 * covered) / n);
    }
  }
  return pixels;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** Encode RGBA pixels as a PNG (8-bit RGBA, no filtering). */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    raw[row] = 0; // filter: none
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), row + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The PNG of one variant at one pixel size. */
export function trayIconPng(variant: TrayIconVariant, size: number): Buffer {
  return encodePng(size, size, drawTrayIcon(variant, size));
}
