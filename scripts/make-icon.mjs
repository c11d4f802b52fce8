#!/usr/bin/env node
// Draws the llama-orch app icon (a hub node orchestrating six worker nodes on a violet rounded square)
// as a 512×512 RGBA PNG with analytic anti-aliasing, using only node:zlib. Output: assets/icon.png
// (committed; electron-builder derives the platform icon formats from it). Run: node scripts/make-icon.mjs [out] [size]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2] ?? join(root, "assets", "icon.png");
const size = Number(process.argv[3] ?? 512);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

// Signed distances (negative inside), in units of the 512 design grid.
const sdCircle = (px, py, cx, cy, r) => Math.hypot(px - cx, py - cy) - r;
function sdSegment(px, py, ax, ay, bx, by, halfWidth) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy)) - halfWidth;
}
function sdRoundRect(px, py, x0, y0, x1, y1, r) {
  const qx = Math.abs(px - (x0 + x1) / 2) - ((x1 - x0) / 2 - r);
  const qy = Math.abs(py - (y0 + y1) / 2) - ((y1 - y0) / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
const coverage = (d, px) => Math.max(0, Math.min(1, 0.5 - d / px));
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);

const TOP = [67, 56, 202]; // indigo
const BOTTOM = [147, 51, 234]; // violet
const WHITE = [255, 255, 255];
const ACCENT = [253, 224, 71]; // warm yellow: the hub
const C = 256;
const satellites = Array.from({ length: 6 }, (_, i) => {
  const a = -Math.PI / 2 + (i * Math.PI) / 3;
  return [C + Math.cos(a) * 150, C + Math.sin(a) * 150];
});

const scale = 512 / size; // design units per pixel
const rgba = Buffer.alloc(size * size * 4);
for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    const px = (x + 0.5) * scale;
    const py = (y + 0.5) * scale;
    const bg = coverage(sdRoundRect(px, py, 24, 24, 488, 488, 104), scale);
    let color = mix(TOP, BOTTOM, (px + py) / 1024);
    // spokes, ring, worker nodes, hub
    let spokes = 0;
    for (const [sx, sy] of satellites) spokes = Math.max(spokes, coverage(sdSegment(px, py, C, C, sx, sy, 9), scale));
    const ring = coverage(Math.abs(sdCircle(px, py, C, C, 150)) - 5, scale);
    color = mix(color, WHITE, Math.max(spokes * 0.9, ring * 0.45));
    let nodes = 0;
    for (const [sx, sy] of satellites) nodes = Math.max(nodes, coverage(sdCircle(px, py, sx, sy, 38), scale));
    color = mix(color, WHITE, nodes);
    color = mix(color, ACCENT, coverage(sdCircle(px, py, C, C, 72), scale));
    color = mix(color, WHITE, coverage(sdCircle(px, py, C, C, 30), scale));
    const o = (y * size + x) * 4;
    rgba[o] = Math.round(color[0]);
    rgba[o + 1] = Math.round(color[1]);
    rgba[o + 2] = Math.round(color[2]);
    rgba[o + 3] = Math.round(bg * 255);
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, encodePng(size, size, rgba));
console.log(`wrote ${out} (${size}×${size})`);
