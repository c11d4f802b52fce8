import { link, lstat, rename, unlink } from "node:fs/promises";
import { join } from "node:path";

/** `<name>-<sha12>.gguf`, then `-2`, `-3`…: the names tried when the requested one is taken. */
function candidates(fileName: string, sha256: string): string[] {
  const stem = fileName.replace(/\.gguf$/i, "");
  const tagged = `${stem}-${sha256.slice(0, 12)}`;
  return [fileName, `${tagged}.gguf`, ...Array.from({ length: 8 }, (_, i) => `${tagged}-${i + 2}.gguf`)];
}

const exists = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    (error: unknown) => (error as NodeJS.ErrnoException).code !== "ENOENT",
  );

/**
 * Moves a verified part file into `dir` under `fileName`, never over an existing file: a hard link
 * fails with EEXIST when the name is taken (atomic, unlike "check, then rename"), and the next name
 * is tried. Two different models staged with the same file name at once each keep their own file;
 * before, both renamed onto one name and the second replaced the first, whose job still said completed.
 * Returns the path it installed. Filesystems without hard links fall back to check-then-rename.
 */
export async function installWithoutClobber(part: string, dir: string, fileName: string, sha256: string): Promise<string> {
  for (const name of candidates(fileName, sha256)) {
    const target = join(dir, name);
    try {
      await link(part, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EXDEV" && code !== "ENOSYS") throw error;
      if (await exists(target)) continue;
      await rename(part, target);
      return target;
    }
    await unlink(part);
    return target;
  }
  throw new Error(`no free file name for ${fileName} in ${dir} (${fileName} and its -<sha256 prefix> variants are all taken)`);
}
