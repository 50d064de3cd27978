/**
 * Writes views/assets/favicon.ico from the same shapes as views/assets/favicon.svg (a certificate seal on PEC's blue):
 * a 32×32 PNG, 4×4 supersampled, in an ICO container (browsers that ask /favicon.ico without reading the page's
 * <link rel="icon">). Run: node --import tsx scripts/make-favicon.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

type Rgba = [number, number, number, number];
const BLUE: Rgba = [0x00, 0x69, 0xd0, 255];
const WHITE: Rgba = [255, 255, 255, 255];
type Poly = Array<[number, number]>;

const inRoundedSquare = (x: number, y: number, size: number, r: number) => {
  const cx = Math.min(Math.max(x, r), size - r);
  const cy = Math.min(Math.max(y, r), size - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const inCircle = (x: number, y: number, cx: number, cy: number, r: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const inPolygon = (x: number, y: number, poly: Poly) => {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
};
const ribbons: Poly[] = [
  [[10, 18], [13.5, 19.5], [12.5, 29], [10.5, 26.5], [8, 28]],
  [[22, 18], [18.5, 19.5], [19.5, 29], [21.5, 26.5], [24, 28]],
];

/** The colour of one point of the 32-unit icon, painted in the SVG's order; null = transparent. */
function colourAt(x: number, y: number): Rgba | null {
  if (!inRoundedSquare(x, y, 32, 6)) return null;
  let colour = BLUE;
  if (ribbons.some((p) => inPolygon(x, y, p))) colour = WHITE;
  if (inCircle(x, y, 16, 13, 8.5)) colour = WHITE;
  if (inCircle(x, y, 16, 13, 4.5)) colour = BLUE;
  return colour;
}

function render(size: number, samples = 4): Buffer {
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const c = colourAt(((px + (sx + 0.5) / samples) * 32) / size, ((py + (sy + 0.5) / samples) * 32) / size);
          if (!c) continue;
          for (let k = 0; k < 3; k++) sum[k]! += c[k]! * c[3];
          sum[3]! += c[3];
        }
      }
      const alpha = sum[3]! / (samples * samples);
      for (let k = 0; k < 3; k++) row[1 + px * 4 + k] = sum[3] ? Math.round(sum[k]! / sum[3]!) : 0;
      row[1 + px * 4 + 3] = Math.round(alpha);
    }
    rows.push(row);
  }
  return png(size, Buffer.concat(rows));
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size: number, raw: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An ICO file holding PNG images (Windows Vista and every current browser read PNG entries). */
function ico(images: Array<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png: data }, i) => {
    const at = 6 + 16 * i;
    header[at] = size % 256;
    header[at + 1] = size % 256;
    header.writeUInt16LE(1, at + 4); // planes
    header.writeUInt16LE(32, at + 6); // bits per pixel
    header.writeUInt32LE(data.length, at + 8);
    header.writeUInt32LE(offset, at + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...images.map((image) => image.png)]);
}

const target = path.resolve(import.meta.dirname, '../views/assets/favicon.ico');
fs.writeFileSync(target, ico([16, 32, 48].map((size) => ({ size, png: render(size) }))));
console.log(`Escrito ${target}`);
