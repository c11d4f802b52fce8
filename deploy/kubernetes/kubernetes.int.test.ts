import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { z } from "zod";

// deploy/kubernetes rendered like `kubectl kustomize` (kubectl itself when installed, else the small
// renderer below for the features these manifests use) and every object validated offline against
// the Kubernetes JSON schemas shipped by kubernetes-models (Prometheus Operator CRDs by
// @kubernetes-models/prometheus-operator).

const ROOT = "deploy/kubernetes";
const KUBECTL = "/usr/bin/kubectl";
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl) console.log(`deploy/kubernetes/kubernetes.int.test.ts: ${KUBECTL} missing; rendering with the test's own kustomize subset`);

const ObjSchema = z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }) });
type Obj = z.infer<typeof ObjSchema> & Record<string, unknown>;
const KustomizationSchema = z.object({
  namespace: z.string().optional(),
  resources: z.array(z.string()).default([]),
  components: z.array(z.string()).default([]),
  images: z.array(z.object({ name: z.string(), newTag: z.string() })).default([]),
  patches: z.array(z.object({ target: z.object({ kind: z.string(), name: z.string() }), patch: z.string() })).default([]),
});
const PatchOpSchema = z.object({ op: z.enum(["replace", "remove", "add"]), path: z.string(), value: z.unknown().optional() });

function readDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => ObjSchema.parse(d.toJSON()) as Obj);
}

/** RFC 6902 replace/add/remove on plain JSON. */
function applyOp(obj: Record<string, unknown>, op: z.infer<typeof PatchOpSchema>): void {
  const keys = op.path.split("/").slice(1).map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
  const last = keys.pop() as string;
  let parent: Record<string, unknown> = obj;
  for (const k of keys) parent = parent[k] as Record<string, unknown>;
  if (op.op === "remove") delete parent[last];
  else parent[last] = op.value;
}

function renderOwn(dir: string): Obj[] {
  const k = KustomizationSchema.parse(parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")));
  let objs: Obj[] = [];
  for (const r of [...k.resources, ...k.components]) {
    const path = join(dir, r);
    objs.push(...(existsSync(join(path, "kustomization.yaml")) ? renderOwn(path) : readDocs(path)));
  }
  for (const p of k.patches) {
    const target = objs.find((o) => o.kind === p.target.kind && o.metadata.name === p.target.name);
    for (const op of z.array(PatchOpSchema).parse(parse(p.patch))) applyOp(target as Record<string, unknown>, op);
  }
  const json = JSON.stringify(objs);
  objs = JSON.parse(k.images.reduce((s, i) => s.replace(new RegExp(`"image":"${i.name}:[^"]*"`, "g"), `"image":"${i.name}:${i.newTag}"`), json)) as Obj[];
  if (k.namespace !== undefined) for (const o of objs) if (o.kind !== "Namespace") o.metadata.namespace = k.namespace;
  return objs;
}

function render(dir: string): Obj[] {
  if (!haveKubectl) return renderOwn(dir);
  const result = spawnSync(KUBECTL, ["kustomize", dir], { encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return parseAllDocuments(result.stdout).map((d) => ObjSchema.parse(d.toJSON()) as Obj);
}

/** The kubernetes-models class for an object, e.g. apps/v1 DaemonSet → kubernetes-models/apps/v1/DaemonSet. */
async function validate(obj: Obj): Promise<void> {
  const pkg = obj.apiVersion.startsWith("monitoring.coreos.com/") ? "@kubernetes-models/prometheus-operator" : "kubernetes-models";
  const mod = (await import(`${pkg}/${obj.apiVersion}/${obj.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  if (Model === undefined) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

const find = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  expect(o, `${kind}/${name}`).toBeDefined();
  return o as Obj;
};
const PodSpecSchema = z.looseObject({
  terminationGracePeriodSeconds: z.number().optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(z.looseObject({ key: z.string() })).optional(),
  containers: z.array(z.looseObject({ image: z.string(), resources: z.looseObject({ limits: z.record(z.string(), z.unknown()).optional() }), readinessProbe: z.unknown().optional(), livenessProbe: z.unknown().optional(), lifecycle: z.looseObject({ preStop: z.unknown() }).optional() })),
});
const podSpec = (o: Obj) => PodSpecSchema.parse(z.object({ spec: z.object({ template: z.object({ spec: z.unknown() }) }) }).parse(o).spec.template.spec);

describe.each([
  ["base (GPU)", `${ROOT}/base`],
  ["CPU overlay", `${ROOT}/overlays/cpu`],
])("kubernetes %s", (_label, dir) => {
  const objs = render(dir);

  it("every object validates against the Kubernetes schemas", async () => {
    expect(objs.length).toBeGreaterThanOrEqual(9);
    for (const o of objs) await validate(o);
  });

  it("orchestrator: one replica, Recreate, token from the Secret, data on the PVC", () => {
    const d = find(objs, "Deployment", "orchestrator") as Obj & { spec: { replicas: number; strategy: { type: string } } };
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe("Recreate");
    find(objs, "Service", "orchestrator");
    find(objs, "Secret", "llama-orch-token");
    find(objs, "PersistentVolumeClaim", "orchestrator-data");
    for (const o of objs) if (o.kind !== "Namespace") expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe("llama-orch");
  });

  it("workers: probes, preStop drain, a grace period long enough for the drain, locked-down ingress", () => {
    const spec = podSpec(find(objs, "DaemonSet", "worker"));
    const worker = spec.containers[0];
    expect(worker?.readinessProbe).toBeDefined();
    expect(worker?.livenessProbe).toBeDefined();
    expect(worker?.lifecycle?.preStop).toBeDefined();
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(600);
    const drainMs = z.object({ shutdown_drain_ms: z.number() }).parse(JSON.parse(z.object({ data: z.object({ "worker.json": z.string() }) }).parse(find(objs, "ConfigMap", "worker-config")).data["worker.json"])).shutdown_drain_ms;
    expect(drainMs / 1000).toBeLessThan(spec.terminationGracePeriodSeconds ?? 0);
    const policy = JSON.stringify(find(objs, "NetworkPolicy", "worker-ingress"));
    expect(policy).toContain('"app.kubernetes.io/name":"orchestrator"');
  });

  it(dir.endsWith("cpu") ? "CPU overlay: no GPU request, selector or toleration; CPU image" : "GPU: nvidia.com/gpu limit, GPU node selector and toleration; CUDA image", () => {
    const spec = podSpec(find(objs, "DaemonSet", "worker"));
    const gpu = !dir.endsWith("cpu");
    expect(spec.containers[0]?.resources.limits?.["nvidia.com/gpu"] !== undefined).toBe(gpu);
    expect(spec.nodeSelector?.["nvidia.com/gpu.present"] !== undefined).toBe(gpu);
    expect((spec.tolerations ?? []).some((t) => t.key === "nvidia.com/gpu")).toBe(gpu);
    expect(spec.containers[0]?.image).toMatch(gpu ? /-cuda$/ : /-cpu$/);
  });
});

describe("kubernetes monitoring component", () => {
  const objs = ["servicemonitor.yaml", "prometheusrule.yaml"].flatMap((f) => readDocs(join(ROOT, "components/monitoring", f)));

  it("ServiceMonitor and PrometheusRule validate against the Prometheus Operator schemas", async () => {
    for (const o of objs) await validate(o);
  });

  it("the PrometheusRule carries exactly the rules of deploy/prometheus/llama-orch-alerts.yml", () => {
    const rule = find(objs, "PrometheusRule", "llama-orch") as Obj & { spec: unknown };
    expect(rule.spec).toEqual(parse(readFileSync("deploy/prometheus/llama-orch-alerts.yml", "utf8")));
  });

  it("is a kustomize component next to the base", () => {
    expect(readFileSync(join(dirname(`${ROOT}/components/monitoring/x`), "kustomization.yaml"), "utf8")).toContain("kind: Component");
  });
});
