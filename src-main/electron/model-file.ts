// "Add model file": copy a user-chosen GGUF into the local worker's models folder. The copy goes to a
// hidden temporary name first and is renamed into place when complete, so the worker's catalog scan
// (which picks up every *.gguf) never sees half a file. Existing files are never overwritten.
import { constants } from "node:fs";
import { copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { ShellError } from "./ipc-registrar.js";

const GGUF_MAGIC = Buffer.from("GGUF", "ascii");

/** Whether the file starts with the GGUF magic. */
export async function hasGgufMagic(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.equals(GGUF_MAGIC);
  } finally {
    await handle.close();
  }
}

/** A file name in `dir` not taken yet: name.gguf, name-2.gguf, name-3.gguf… */
export async function freeFileName(dir: string, fileName: string): Promise<string> {
  const ext = extname(fileName);
  const stem = fileName.slice(0, fileName.length - ext.length);
  for (let n = 1; n < 10_000; n++) {
    const candidate = n === 1 ? fileName : `${stem}-${n}${ext}`;
    try {
      await stat(join(dir, candidate));
    } catch {
      return candidate;
    }
  }
  throw new ShellError("OS_ERROR", `no free file name for ${fileName} in ${dir}`);
}

/** Copies `source` (a .gguf model) into `modelsDir`; returns where it went. */
export async function copyModelIntoFolder(source: string, modelsDir: string): Promise<{ fileName: string; path: string; bytes: number }> {
  if (extname(source).toLowerCase() !== ".gguf") throw new ShellError("NOT_A_MODEL", `${basename(source)} is not a .gguf file`);
  let info;
  try {
    info = await stat(source);
  } catch (err) {
    throw new ShellError("OS_ERROR", `cannot read ${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!info.isFile()) throw new ShellError("NOT_A_MODEL", `${source} is not a file`);
  if (!(await hasGgufMagic(source))) throw new ShellError("NOT_A_MODEL", `${basename(source)} is not a GGUF model (no GGUF header)`);
  await mkdir(modelsDir, { recursive: true });
  const fileName = await freeFileName(modelsDir, basename(source).replace(/\.gguf$/i, ".gguf"));
  const target = join(modelsDir, fileName);
  const partial = join(modelsDir, `.${fileName}.${process.pid}.part`);
  try {
    await copyFile(source, partial, constants.COPYFILE_FICLONE);
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw new ShellError("OS_ERROR", `copying ${basename(source)} into ${modelsDir} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { fileName, path: target, bytes: info.size };
}
