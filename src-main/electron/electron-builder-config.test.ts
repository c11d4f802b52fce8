// Packaging can't run offline (electron-builder downloads Electron), so its configuration's invariants
// are checked here instead: targets, natives unpacked from asar, built output only, no rebuild, fuses.
import { existsSync, readFileSync } from "node:fs";
import { matchesGlob } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const config = parse(readFileSync(`${root}electron-builder.yml`, "utf8")) as Record<string, unknown> & {
  files: string[];
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  linux: { target: string[]; icon: string; maintainer?: string };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  directories: { output: string; buildResources: string };
};
const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { main: string; dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };

describe("electron-builder.yml", () => {
  it("builds Linux AppImage + deb, macOS dmg, Windows nsis", () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(["AppImage", "deb"]));
    expect(config.mac.target).toEqual(expect.arrayContaining(["dmg"]));
    expect(config.win.target).toEqual(expect.arrayContaining(["nsis"]));
    expect(config.linux.maintainer, "deb needs a maintainer").toBeTruthy();
  });

  it("unpacks the node-llama-cpp and libsql natives from asar", () => {
    // All of node_modules is unpacked (the local worker child needs its whole runtime as ordinary files);
    // scripts/packaging/desktop-layout.int.test.ts checks the real layout.
    for (const file of ["node_modules/node-llama-cpp/dist/index.js", "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node", "node_modules/libsql/index.js", "node_modules/@libsql/linux-x64-gnu/index.node"]) {
      expect(config.asarUnpack.some((glob) => matchesGlob(file, glob)), file).toBe(true);
    }
  });

  it("keeps the local worker's entry points (worker agent, model maker) and the code they import outside asar for the child process", () => {
    for (const dir of ["dist/worker-agent/**", "dist/scripts/**", "dist/src-shared/**", "dist/src-node/**"]) expect(config.asarUnpack).toContain(dir);
  });

  it("ships built output only: the app's dist folders, no sources, tests or maps", () => {
    for (const dir of ["dist/src-main", "dist/src-shared", "dist/src-node", "dist/worker-agent", "dist/renderer", "dist/scripts"]) {
      expect(config.files.some((f) => f.startsWith(`${dir}/`)), dir).toBe(true);
    }
    for (const f of config.files.filter((f) => !f.startsWith("!"))) {
      expect(f === "package.json" || f.startsWith("dist/") || f.startsWith("assets/"), f).toBe(true);
    }
    for (const exclusion of ["!**/*.map", "!**/*.test.js", "!**/*.tsbuildinfo"]) expect(config.files).toContain(exclusion);
  });

  it("the package entry is the Electron main it ships", () => {
    expect(pkg.main).toBe("dist/src-main/electron/main.js");
    expect(config.files.some((f) => pkg.main.startsWith(f.replace("/**/*", "/")))).toBe(true);
  });

  it("does not rebuild natives (N-API prebuilt binaries work in Electron and Node alike)", () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.asar).toBe(true);
  });

  it("sets the security fuses, keeping only those the app needs", () => {
    const fuses = config.electronFuses;
    expect(fuses.runAsNode, "the local worker runs as ELECTRON_RUN_AS_NODE child").toBe(true);
    expect(fuses.enableNodeOptionsEnvironmentVariable).toBe(false);
    expect(fuses.enableCookieEncryption).toBe(true);
    expect(fuses.onlyLoadAppFromAsar).toBe(true);
    expect(fuses.enableEmbeddedAsarIntegrityValidation).toBe(true);
    expect(fuses.grantFileProtocolExtraPrivileges).toBe(false);
    expect(fuses.enableNodeCliInspectArguments, "Playwright drives packaged builds through --inspect").toBe(true);
  });

  it("references icons that exist and are real PNGs of at least 512×512", () => {
    const icons = new Set([config.linux.icon, config.mac.icon, config.win.icon]);
    expect(existsSync(`${root}${config.directories.buildResources}/icon.png`)).toBe(true);
    for (const icon of icons) {
      const png = readFileSync(`${root}${icon}`);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.subarray(12, 16).toString("ascii")).toBe("IHDR");
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(512);
      expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(512);
    }
    expect(config.files).toContain("assets/icon.png");
  });

  it("publishes nowhere and packages into release/", () => {
    expect(config.publish).toBeNull();
    expect(config.directories.output).toBe("release");
  });

  it("the natives it unpacks are production dependencies, electron-builder a dev one", () => {
    expect(pkg.dependencies).toHaveProperty("node-llama-cpp");
    expect(pkg.dependencies).toHaveProperty("libsql");
    expect(pkg.devDependencies).toHaveProperty("electron-builder");
    expect(pkg.devDependencies).toHaveProperty("electron");
    expect(pkg.scripts.dist).toContain("electron-builder");
  });
});
