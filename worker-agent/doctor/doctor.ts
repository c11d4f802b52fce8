import { availableParallelism, freemem, totalmem } from "node:os";
import { join } from "node:path";
import type { WorkerConfig } from "../../src-shared/config/worker-config.js";
import { ModelCatalog } from "../catalog/model-catalog.js";
import { accessSync, constants } from "node:fs";
import { resolveLlamaServerBinary } from "../engine/llama-server/llama-server-build.js";
import { nativeAddonChooser } from "../engine/native-addon/native-addon-chooser.js";
import { decideApiToken } from "../auth/token-policy.js";
import { tokenFingerprint } from "../auth/token-fingerprint.js";
import type { Logger } from "../logging/logger.js";
import { OrchestratorClient } from "../registration/orchestrator-client.js";
import { clusterFetch } from "../../src-node/tls/cluster-fetch.js";
import { loadNodeTls } from "../tls/node-tls.js";
import { detectGpus, probeLlamaBackend } from "../system/system-probe.js";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function bytes(n: number): string {
  return n >= GIB ? `${(n / GIB).toFixed(1)} GiB` : `${(n / MIB).toFixed(1)} MiB`;
}

/**
 * `llama-orch-worker doctor`: what this machine can run and whether the configuration works.
 * Writes a report to `out`; returns the exit code (1 when something essential is wrong).
 */
export async function runDoctor(config: WorkerConfig, version: string, log: Logger, out: (line: string) => void): Promise<number> {
  const problems: string[] = [];
  const warnings: string[] = [];
  out(`llama-orch-worker ${version} doctor`);
  out(`node ${process.version}, ${process.platform}/${process.arch}`);
  out("");

  const probe = await probeLlamaBackend();
  if (probe.ok) {
    const r = probe.result;
    out(`llama.cpp backend: ${r.backend.toUpperCase()} (llama.cpp ${r.llama_cpp_release}, ${r.build_type} binary${r.supports_gpu_offloading ? ", GPU offloading" : ""})`);
    const gpus = await detectGpus(probe);
    if (gpus.length === 0) out("GPUs: none (CPU inference)");
    for (const gpu of gpus) {
      out(`GPU ${gpu.device_id}: ${gpu.name}, VRAM ${bytes(gpu.vram_total_bytes)} total${gpu.vram_free_bytes !== undefined ? `, ${bytes(gpu.vram_free_bytes)} free` : ""}`);
    }
  } else {
    out(`llama.cpp backend: UNAVAILABLE (${probe.error})`);
    problems.push("node-llama-cpp cannot load a llama.cpp binary on this machine");
  }
  out(`CPU: ${availableParallelism()} cores, llama.cpp threads per engine: ${config.threads}`);
  // The build node-llama-cpp pools on the CPU load (addon-choice.ts), as `start` would decide it now.
  const addon = nativeAddonChooser(config, () => probe.ok && probe.result.backend !== "cpu")("cpu");
  if (addon.binary === "native") out(`node-llama-cpp on CPU: native build ${addon.dir} (llama.cpp ${addon.info.version}, built ${addon.info.built_at})`);
  else if (addon.binary === "prebuilt") out(`node-llama-cpp on CPU: prebuilt binary — ${addon.reason}`);
  else {
    out(`node-llama-cpp on CPU: REFUSED — ${addon.reason}`);
    problems.push(addon.reason);
  }
  out(`RAM: ${bytes(totalmem())} total, ${bytes(freemem())} free`);
  out("");

  const catalog = new ModelCatalog(config.models_dir, join(config.data_dir, "catalog-cache.json"), 60_000, log);
  try {
    await catalog.start();
  } finally {
    catalog.stop();
  }
  const models = catalog.list();
  out(`models dir: ${config.models_dir} (${models.length} GGUF file${models.length === 1 ? "" : "s"})`);
  for (const m of models) {
    const meta = m.inventory;
    const desc = meta !== undefined ? `${meta.name}, ${meta.architecture ?? "?"}, ${meta.quantization ?? "?"}, ctx ${meta.context_length ?? "?"}${meta.has_chat_template ? ", chat template" : ""}` : `UNREADABLE: ${m.metadata_error ?? "?"}`;
    out(`  ${m.file_name}  ${bytes(m.size_bytes)}  sha256 ${m.sha256}  (${desc})`);
  }
  if (models.length === 0) warnings.push(`no *.gguf in ${config.models_dir}: the worker will serve nothing but handoff pools`);
  // A file the worker will not serve is worth a line at the end, not only the "UNREADABLE" in the list above.
  for (const m of models) if (m.inventory === undefined) warnings.push(`${m.file_name} is not served: ${m.metadata_error ?? "unreadable GGUF header"}`);
  if (models.length > 0 && models.every((m) => m.inventory === undefined) && config.pools === undefined) problems.push(`no model in ${config.models_dir} can be served (every GGUF header is unreadable)`);
  if (config.pools !== undefined) {
    out("pools (configured):");
    for (const pool of config.pools) {
      const model = catalog.resolve(pool.model);
      out(`  ${pool.id}: model ${pool.model} → ${model !== undefined ? model.file_name : "NOT FOUND"}, device ${pool.device}, slots ${pool.slots}, engine ${pool.engine}`);
      if (model === undefined) problems.push(`pool ${pool.id}: model "${pool.model}" is not in the models dir`);
    }
    if (config.pools.some((p) => p.engine === "llama-server")) {
      const binary = await resolveLlamaServerBinary(config.llama_server_path, config.data_dir);
      let usable = true;
      try {
        accessSync(binary, constants.X_OK);
      } catch {
        usable = false;
      }
      out(`llama-server: ${binary}${usable ? "" : " — MISSING (run `llama-orch-worker engine build` or set llama_server_path)"}`);
      if (!usable) problems.push(`pools with engine llama-server need ${binary}`);
    }
  } else {
    out("pools: none configured, one per model found");
  }
  out(`runtime dir (handoff files): ${config.runtime_dir}`);
  out("");

  const token = config.api_token !== undefined || config.orchestrator_url !== undefined ? await decideApiToken(config, { join: false }) : undefined;
  if (config.api_token !== undefined) out(`API token: configured (fp6 ${tokenFingerprint(config.api_token)})`);
  else if (config.orchestrator_url === undefined) out("API token: none configured; `start` uses (or generates) <data dir>/worker-token on a loopback bind");
  if (config.orchestrator_url === undefined) {
    out("orchestrator: none (standalone mode)");
  } else if (token === undefined || !token.ok) {
    out(`orchestrator: ${config.orchestrator_url} — ${token !== undefined && !token.ok ? token.error : "no token"}`);
    problems.push("LLORCH_API_TOKEN is required to talk to the orchestrator");
  } else {
    // Over TLS the probe trusts the pinned cluster CA only, as `start` does.
    const trust = await loadNodeTls(config);
    if (!trust.ok) problems.push(trust.error);
    const tlsFetch = trust.ok && trust.tls !== undefined ? clusterFetch(trust.tls.caPem, { role: "orchestrator" }) : globalThis.fetch;
    const result = await new OrchestratorClient(config.orchestrator_url, token.token, 5000, tlsFetch).probe();
    const verdict = !result.reachable ? "UNREACHABLE" : !result.isOrchestrator ? "answers, but NOT A LLAMA-ORCH ORCHESTRATOR" : result.tokenAccepted === false ? "reachable, TOKEN REJECTED" : result.tokenAccepted === true ? "reachable, token accepted" : "reachable, token not verified";
    out(`orchestrator: ${config.orchestrator_url} — ${verdict} (${result.detail})`);
    if (!result.reachable) problems.push(`orchestrator ${config.orchestrator_url} is not reachable`);
    else if (!result.isOrchestrator) problems.push(`${config.orchestrator_url} is not a llama-orch orchestrator (GET /health did not answer {"status":"ok"}): check ORCHESTRATORD_URL / --orchestrator-url (host, port, scheme)`);
    else if (result.tokenAccepted === false) problems.push("the orchestrator rejects LLORCH_API_TOKEN");
  }
  out("");
  for (const w of warnings) out(`warning: ${w}`);
  for (const p of problems) out(`PROBLEM: ${p}`);
  out(problems.length === 0 ? "doctor: OK" : `doctor: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
  return problems.length === 0 ? 0 : 1;
}
