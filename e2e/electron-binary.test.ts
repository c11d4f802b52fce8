import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { displayProblem, resolveElectronBinary } from "./electron-binary.js";

const dirs: string[] = [];
function fakeRoot(opts: { pkg?: boolean; pathTxt?: string; binary?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), "llorch-electronbin-"));
  dirs.push(root);
  const pkg = join(root, "node_modules", "electron");
  if (opts.pkg) {
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, "package.json"), "{}");
  }
  if (opts.pathTxt) writeFileSync(join(pkg, "path.txt"), opts.pathTxt);
  if (opts.binary && opts.pathTxt) {
    mkdirSync(join(pkg, "dist"), { recursive: true });
    writeFileSync(join(pkg, "dist", opts.pathTxt), "");
  }
  return root;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("resolveElectronBinary (never requires electron)", () => {
  it("an installed package without a downloaded binary (this machine) gives a reason", () => {
    const found = resolveElectronBinary({}, fakeRoot({ pkg: true }));
    expect(found).toEqual({ reason: expect.stringContaining("never downloaded") });
  });

  it("finds node_modules/electron/dist/<path.txt>", () => {
    const root = fakeRoot({ pkg: true, pathTxt: "electron", binary: true });
    expect(resolveElectronBinary({}, root)).toEqual({ binary: join(root, "node_modules", "electron", "dist", "electron") });
    expect(resolveElectronBinary({}, fakeRoot({ pkg: true, pathTxt: "electron" }))).toEqual({ reason: expect.stringContaining("missing") });
  });

  it("honours ELECTRON_EXECUTABLE, then ELECTRON_OVERRIDE_DIST_PATH", () => {
    const root = fakeRoot({ pkg: true });
    const exe = join(root, "my-electron");
    writeFileSync(exe, "");
    expect(resolveElectronBinary({ ELECTRON_EXECUTABLE: exe }, root)).toEqual({ binary: exe });
    expect(resolveElectronBinary({ ELECTRON_EXECUTABLE: join(root, "nope") }, root)).toEqual({ reason: expect.stringContaining("does not exist") });
    const dist = join(root, "override");
    mkdirSync(dist);
    writeFileSync(join(dist, process.platform === "win32" ? "electron.exe" : process.platform === "darwin" ? "Electron.app" : "electron"), "");
    if (process.platform === "linux") expect(resolveElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dist }, root)).toEqual({ binary: join(dist, "electron") });
  });

  it("no package at all", () => {
    expect(resolveElectronBinary({}, fakeRoot({}))).toEqual({ reason: "the electron npm package is not installed" });
  });

  it("needs a display on Linux", () => {
    if (process.platform !== "linux") return;
    expect(displayProblem({})).toContain("no display");
    expect(displayProblem({ DISPLAY: ":99" })).toBeNull();
  });
});
