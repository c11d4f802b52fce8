import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileFailureMessage } from "./file-failure.js";

function thrownBy(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("fileFailureMessage", () => {
  it("names the path and the reason when a folder cannot be made (was a stack trace)", () => {
    const dir = mkdtempSync(join(tmpdir(), "file-failure-"));
    writeFileSync(join(dir, "afile"), "x");
    const error = thrownBy(() => mkdirSync(join(dir, "afile", "data"), { recursive: true }));
    expect(fileFailureMessage(error)).toBe(`cannot use ${join(dir, "afile", "data")} (mkdir: a part of the path is a file, not a folder, ENOTDIR); check the path and its permissions, or choose another folder`);
  });

  it("leaves other errors alone", () => {
    expect(fileFailureMessage(new Error("boom"))).toBeUndefined();
    expect(fileFailureMessage(Object.assign(new Error("x"), { code: "EADDRINUSE", syscall: "listen" }))).toBeUndefined();
    expect(fileFailureMessage(Object.assign(new Error("x"), { code: "EWEIRD", syscall: "open", path: "/x" }))).toBeUndefined();
  });
});
