// The Kubernetes manifests: each document valid against the Kubernetes API schema (kubernetes-models),
// and consistent with the server and with each other (probes, ports, secrets, shutdown timing).
import { readdirSync } from "node:fs";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";
import type { IContainer, IProbe } from "kubernetes-models/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { describe, expect, it } from "vitest";
import { readExampleValue, readServerVariables, readYamlDocuments, REPO_ROOT } from "./support";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "networking.k8s.io/v1/Ingress": Ingress,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

const FILES = readdirSync(`${REPO_ROOT}/infra/k8s`).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
const MANIFESTS = FILES.flatMap((f) => readYamlDocuments(`infra/k8s/${f}`).map((doc) => ({ file: f, doc: doc as Manifest })));

/** The one manifest of a kind; the checks below assume one server Deployment with one of each. */
function only<T>(kind: string): T {
  const found = MANIFESTS.filter((m) => m.doc.kind === kind);
  expect(
    found.map((m) => m.file),
    `one ${kind}`,
  ).toHaveLength(1);
  return found[0]!.doc as T;
}

const deployment = only<Deployment>("Deployment");
const configMap = only<ConfigMap>("ConfigMap");
const secret = only<Secret>("Secret");
const service = only<Service>("Service");
const ingress = only<Ingress>("Ingress");
const hpa = only<HorizontalPodAutoscaler>("HorizontalPodAutoscaler");
const pdb = only<PodDisruptionBudget>("PodDisruptionBudget");
const pod = deployment.spec!.template.spec!;
/** Bytes of a Kubernetes quantity such as "2Gi" or "500M". */
const toBytes = (quantity: string) => {
  const [, n, unit = ""] = /^(\d+(?:\.\d+)?)([KMGT]i?)?$/.exec(quantity) ?? [];
  const units: Record<string, number> = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  if (n === undefined) throw new Error(`not a quantity: '${quantity}'`);
  return Number(n) * units[unit]!;
};
const server: IContainer = pod.containers[0]!;
const podLabels = deployment.spec!.template.metadata!.labels!;
const matches = (selector: Record<string, string> | undefined) => Boolean(selector) && Object.entries(selector!).every(([k, v]) => podLabels[k] === v);

describe("Kubernetes manifests", () => {
  it.each(MANIFESTS.map((m) => [`${m.file}: ${m.doc.kind} ${m.doc.metadata?.name}`, m.doc] as const))("%s is valid", (_, doc) => {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    expect(Model, `a known apiVersion/kind (${doc.apiVersion} ${doc.kind})`).toBeDefined();
    expect(() => new Model!(doc as never).validate()).not.toThrow();
  });

  it("kustomization.yaml applies every manifest", () => {
    const [kustomization] = readYamlDocuments("infra/k8s/kustomization.yaml") as [{ resources: string[] }];
    expect([...kustomization.resources].sort()).toEqual([...FILES].sort());
  });

  it("probes ask /health on the port the server listens on", () => {
    const port = server.ports!.find((p) => p.name === "http")!;
    expect(port.containerPort).toBe(Number(configMap.data!.PORT));
    const probes: Array<[string, IProbe | undefined]> = [
      ["readiness", server.readinessProbe],
      ["liveness", server.livenessProbe],
      ["startup", server.startupProbe],
    ];
    for (const [name, probe] of probes) {
      expect(probe?.httpGet?.path, `${name} probe path`).toBe("/health");
      expect([port.name, port.containerPort], `${name} probe port`).toContain(probe!.httpGet!.port);
    }
    // A database outage makes /health answer 503: liveness must wait longer than readiness before it restarts the pod.
    const patience = (p: IProbe) => (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3);
    expect(patience(server.livenessProbe!)).toBeGreaterThanOrEqual(60);
    expect(patience(server.livenessProbe!)).toBeGreaterThan(patience(server.readinessProbe!));
  });

  it("lets the server store what it accepted before Kubernetes kills it", () => {
    const shutdownSeconds = Number(configMap.data!.SHUTDOWN_TIMEOUT_MS ?? readExampleValue("SHUTDOWN_TIMEOUT_MS")) / 1000;
    const preStop = server.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0], "preStop sleeps so the balancers stop routing first").toBe("sleep");
    const preStopSeconds = Number(preStop[1]);
    expect(preStopSeconds).toBeGreaterThan(0);
    // index.ts exits on its own SHUTDOWN_TIMEOUT_MS + 10 s after SIGTERM, which comes after preStop.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(shutdownSeconds);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopSeconds + shutdownSeconds + 10);
  });

  it("runs as non-root on a read-only root, with DATA_DIR and /tmp on emptyDirs", () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).not.toBe(0);
    expect(server.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(server.securityContext?.allowPrivilegeEscalation).toBe(false);
    const emptyDirs = new Set(pod.volumes!.filter((v) => v.emptyDir).map((v) => v.name));
    const writable = server.volumeMounts!.filter((m) => emptyDirs.has(m.name)).map((m) => m.mountPath);
    expect(writable).toContain(configMap.data!.DATA_DIR);
    expect(writable).toContain("/tmp");
  });

  it("has room in DATA_DIR for the recordings a pod analyses at once, and lets them through the ingress", () => {
    const setting = (name: string) => Number(configMap.data![name] ?? readExampleValue(name));
    const maxVideo = setting("MAX_VIDEO_BYTES");
    const data = pod.volumes!.find((v) => v.name === server.volumeMounts!.find((m) => m.mountPath === configMap.data!.DATA_DIR)?.name);
    expect(toBytes(String(data!.emptyDir!.sizeLimit))).toBeGreaterThanOrEqual(setting("UPLOAD_CONCURRENCY") * maxVideo);
    // nginx's size suffixes are binary (500m = 500 MiB).
    const bodySize = ingress.metadata!.annotations!["nginx.ingress.kubernetes.io/proxy-body-size"]!;
    expect(toBytes(bodySize.replace(/([kmg])$/i, (u) => `${u.toUpperCase()}i`))).toBeGreaterThanOrEqual(maxVideo);
  });

  it("sets CPU and memory requests and limits (the autoscaler's CPU target needs the request)", () => {
    for (const key of ["cpu", "memory"]) {
      expect(server.resources?.requests?.[key], `requests.${key}`).toBeDefined();
      expect(server.resources?.limits?.[key], `limits.${key}`).toBeDefined();
    }
  });

  it("gives the server exactly the secrets the Secret holds, and only settings the server knows", () => {
    const refs = (server.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
    expect(new Set(refs.map((r) => r.name))).toEqual(new Set([secret.metadata!.name]));
    const secretKeys = Object.keys({ ...secret.stringData, ...secret.data }).sort();
    expect(refs.map((r) => r.key).sort()).toEqual(secretKeys);
    expect(secretKeys).toEqual(expect.arrayContaining(["DATABASE_URL", "REDIS_URL"]));
    expect(server.envFrom?.map((e) => e.configMapRef?.name)).toEqual([configMap.metadata!.name]);
    const known = readServerVariables();
    const plain = [...Object.keys(configMap.data!), ...(server.env ?? []).filter((e) => !e.valueFrom?.secretKeyRef).map((e) => e.name)];
    expect(
      plain.filter((name) => !known.has(name)),
      "not in apps/server/.env.example",
    ).toEqual([]);
  });

  it("runs 3 replicas, scales on CPU from there, and keeps all but one up during a drain", () => {
    expect(deployment.spec!.replicas).toBe(3);
    expect(matches(deployment.spec!.selector.matchLabels)).toBe(true);
    expect(matches(service.spec!.selector)).toBe(true);
    expect(matches(pdb.spec!.selector!.matchLabels)).toBe(true);
    expect(pdb.spec!.maxUnavailable ?? 3 - Number(pdb.spec!.minAvailable)).toBe(1);
    expect(hpa.spec!.scaleTargetRef).toMatchObject({ kind: "Deployment", name: deployment.metadata!.name });
    expect(hpa.spec!.minReplicas).toBe(deployment.spec!.replicas);
    expect(hpa.spec!.maxReplicas).toBeGreaterThan(hpa.spec!.minReplicas!);
    expect(hpa.spec!.metrics?.map((m) => m.resource?.name)).toContain("cpu");
  });

  it("routes the ingress to the service with cookie affinity and WebSocket-length timeouts", () => {
    const annotations = ingress.metadata!.annotations!;
    expect(annotations["nginx.ingress.kubernetes.io/affinity"]).toBe("cookie");
    expect(annotations["nginx.ingress.kubernetes.io/session-cookie-name"]).toBeTruthy();
    for (const timeout of ["proxy-read-timeout", "proxy-send-timeout"]) {
      expect(Number(annotations[`nginx.ingress.kubernetes.io/${timeout}`]), timeout).toBeGreaterThanOrEqual(600);
    }
    const backend = ingress.spec!.rules![0]!.http!.paths[0]!.backend.service!;
    expect(backend.name).toBe(service.metadata!.name);
    expect(service.spec!.ports!.map((p) => p.name)).toContain(backend.port!.name);
    expect(service.spec!.ports!.find((p) => p.name === backend.port!.name)!.targetPort).toBe("http");
  });
});
