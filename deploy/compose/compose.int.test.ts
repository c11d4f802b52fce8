import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

// deploy/compose: `docker-compose config` (Debian's docker-compose validates without an engine) and
// the Dockerfiles' shape: multi-stage, non-root, a healthcheck, CPU and CUDA worker variants.
const COMPOSE = "deploy/compose/compose.yaml";
const BIN = "/usr/bin/docker-compose";
const haveCompose = existsSync(BIN);
if (!haveCompose) console.log(`deploy/compose/compose.int.test.ts: docker-compose config skipped: ${BIN} is missing (apt-get install docker-compose)`);

const TOKEN = "compose-test-token-0123456789abcdef0123456789";
const ServiceSchema = z.looseObject({
  image: z.string(),
  profiles: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string().nullable()).optional(),
  deploy: z.looseObject({ resources: z.looseObject({ reservations: z.looseObject({ devices: z.array(z.looseObject({ capabilities: z.array(z.string()) })) }) }) }).optional(),
});
const ConfigSchema = z.looseObject({ services: z.record(z.string(), ServiceSchema) });

function config(env: Record<string, string>) {
  return spawnSync(BIN, ["-f", COMPOSE, "config"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin", ...env } });
}

describe.skipIf(!haveCompose)("docker-compose config", () => {
  it("renders: orchestrator, two GPU workers with GPU reservations, two CPU workers, Prometheus and Grafana", () => {
    const result = config({ LLORCH_API_TOKEN: TOKEN });
    expect(result.status, result.stderr).toBe(0);
    const services = ConfigSchema.parse(parse(result.stdout)).services;
    expect(Object.keys(services).sort()).toEqual(["grafana", "orchestrator", "prometheus", "worker-cpu-1", "worker-cpu-2", "worker-gpu-1", "worker-gpu-2"]);
    for (const name of ["worker-gpu-1", "worker-gpu-2"]) {
      expect(services[name]?.deploy?.resources.reservations.devices[0]?.capabilities).toEqual(["gpu"]);
      expect(services[name]?.image).toMatch(/-cuda$/);
    }
    for (const name of ["worker-cpu-1", "worker-cpu-2"]) {
      expect(services[name]?.deploy).toBeUndefined();
      expect(services[name]?.image).toMatch(/-cpu$/);
    }
    for (const [name, s] of Object.entries(services)) if (name.startsWith("worker-")) expect(s.environment?.ORCHESTRATORD_URL).toBe("http://orchestrator:8080");
    expect(services.orchestrator?.environment?.LLORCH_API_TOKEN).toBe(TOKEN);
    expect(services.prometheus?.profiles).toEqual(["monitoring"]);
  });

  it("refuses to render without a token", () => {
    const result = config({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("set LLORCH_API_TOKEN");
  });
});

describe("Dockerfiles", () => {
  const stages = (file: string) => [...readFileSync(file, "utf8").matchAll(/^FROM \S+(?: AS (\S+))?$/gm)].map((m) => m[1] ?? "");

  it.each(["deploy/compose/orchestrator.Dockerfile", "deploy/compose/worker.Dockerfile"])("%s: multi-stage, non-root, healthcheck", (file) => {
    const text = readFileSync(file, "utf8");
    expect(stages(file).length).toBeGreaterThanOrEqual(2);
    // Every runtime stage drops root before its entrypoint.
    for (const runtime of text.split(/^FROM /m).slice(2)) {
      expect(runtime).toMatch(/^USER 10001:10001$/m);
      expect(runtime).toMatch(/^HEALTHCHECK /m);
    }
  });

  it("the worker has CPU and CUDA variants", () => {
    expect(stages("deploy/compose/worker.Dockerfile")).toEqual(expect.arrayContaining(["build", "cpu", "cuda"]));
  });

  it("images run a supported Node LTS (22 or 24, as package.json engines says) and the worker image installs the worker package", () => {
    for (const file of ["deploy/compose/orchestrator.Dockerfile", "deploy/compose/worker.Dockerfile"]) {
      const nodeImages = [...readFileSync(file, "utf8").matchAll(/\bnode:(\d+)-/g)].map((m) => Number(m[1]));
      expect(nodeImages.length).toBeGreaterThan(0);
      for (const major of nodeImages) expect([22, 24]).toContain(major);
    }
    const worker = readFileSync("deploy/compose/worker.Dockerfile", "utf8");
    expect(worker).toContain("npm pack -w worker-agent");
    expect(worker).toMatch(/npm install -g --ignore-scripts \/pkg\/llama-orch-worker-\*\.tgz/);
    expect(worker).toMatch(/^ENTRYPOINT \["llama-orch-worker"\]$/m);
  });

  it("Grafana gets the dashboard and Prometheus the alert rules of deploy/", () => {
    const compose = readFileSync(COMPOSE, "utf8");
    expect(compose).toContain("../grafana/llama-orch-overview.json:");
    expect(compose).toContain("../prometheus/llama-orch-alerts.yml:");
  });
});
