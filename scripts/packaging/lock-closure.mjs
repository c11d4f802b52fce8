// The packages of package-lock.json that a set of dependencies resolves to (Node's lookup: the nearest
// node_modules/<name> walking up from the requiring package), with their lockfile paths. Used for the worker
// package's shrinkwrap and for the desktop app's production node_modules in the packaging test.

/** Lockfile path where Node finds `name` when required from the package at `from` ("" = the root). */
function resolve(packages, from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return null;
    const at = dir.lastIndexOf("/node_modules/");
    dir = at === -1 ? "" : dir.slice(0, at);
  }
}

/**
 * @param {{ packages: Record<string, Record<string, unknown>> }} lock parsed package-lock.json (v3)
 * @param {string[]} roots dependency names, as the root package requires them
 * @returns {{ picked: Map<string, Record<string, unknown>>, problems: string[] }}
 */
export function lockClosure(lock, roots) {
  const packages = lock.packages;
  const picked = new Map();
  const problems = [];
  const visit = (from, name, optional) => {
    const path = resolve(packages, from, name);
    if (path === null) {
      if (!optional) problems.push(`${name} (needed by ${from || "the root"}) is not in package-lock.json`);
      return;
    }
    if (picked.has(path)) return;
    const entry = packages[path];
    if (entry.link) {
      problems.push(`${name} resolves to the workspace link ${path}`);
      return;
    }
    picked.set(path, entry);
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
    const peerMeta = entry.peerDependenciesMeta ?? {};
    for (const dep of Object.keys(entry.peerDependencies ?? {})) visit(path, dep, peerMeta[dep]?.optional === true);
  };
  for (const name of roots) visit("", name, false);
  return { picked, problems };
}
