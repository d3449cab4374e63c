// Updates the API server makes in place, and updates it refuses, one or more per rule of
// helpers/live-cluster/in-place.ts. The unit test checks the rules say so; the real-tool test
// checks a real kube-apiserver agrees, so a wrong rule fails one of them.
import type { KubeObject } from "../../helpers/repository/manifests.ts";

export interface InPlaceCase {
  name: string;
  before: KubeObject;
  after: KubeObject;
  inPlace: boolean;
}

const NS = "media";
const labels = { app: "postgres" };
const template = (extra: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: {
    containers: [{ name: "db", image: "postgres:16", resources: { limits: { cpu: "2", memory: "4Gi" } }, ...extra }],
  },
});

const claim = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data", namespace: NS },
  spec: {
    accessModes: ["ReadWriteMany"],
    storageClassName: "nfs-client",
    resources: { requests: { storage: "10Gi" } },
    ...spec,
  },
});

const statefulSet = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "postgres", namespace: NS },
  spec: {
    serviceName: "postgres",
    replicas: 2,
    selector: { matchLabels: labels },
    template: template(),
    volumeClaimTemplates: [
      {
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: "nfs-client",
          resources: { requests: { storage: "5Gi" } },
        },
      },
    ],
    ...spec,
  },
});

const deployment = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: NS },
  spec: { replicas: 3, selector: { matchLabels: labels }, template: template(), ...spec },
});

const service = (clusterIP: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: NS },
  spec: { clusterIP, selector: labels, ports: [{ port: 80, targetPort: 8080 }], ...spec },
});

const job = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "migrate", namespace: NS },
  spec: {
    parallelism: 1,
    template: { spec: { restartPolicy: "Never", containers: [{ name: "migrate", image: "migrate:1" }] } },
    ...spec,
  },
});

const configMap = (data: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: NS },
  immutable: true,
  data,
});

const dev = template({ resources: { limits: { cpu: "1", memory: "1Gi" } } });

export const IN_PLACE_CASES: InPlaceCase[] = [
  {
    name: "claim: storage class changes",
    before: claim({}),
    after: claim({ storageClassName: "local-path" }),
    inPlace: false,
  },
  {
    name: "claim: access modes change",
    before: claim({}),
    after: claim({ accessModes: ["ReadWriteOnce"] }),
    inPlace: false,
  },
  {
    name: "claim: requests grow",
    before: claim({}),
    after: claim({ resources: { requests: { storage: "20Gi" } } }),
    inPlace: false /* an unbound claim of a class without expansion */,
  },
  { name: "claim: unchanged", before: claim({}), after: claim({}), inPlace: true },
  {
    name: "StatefulSet: replicas and pod template change",
    before: statefulSet({}),
    after: statefulSet({ replicas: 1, template: dev }),
    inPlace: true,
  },
  {
    name: "StatefulSet: volumeClaimTemplates change",
    before: statefulSet({}),
    after: statefulSet({
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: "local-path",
            resources: { requests: { storage: "5Gi" } },
          },
        },
      ],
    }),
    inPlace: false,
  },
  {
    name: "StatefulSet: serviceName changes",
    before: statefulSet({}),
    after: statefulSet({ serviceName: "db" }),
    inPlace: false,
  },
  {
    name: "StatefulSet: podManagementPolicy changes",
    before: statefulSet({}),
    after: statefulSet({ podManagementPolicy: "Parallel" }),
    inPlace: false,
  },
  {
    name: "Deployment: replicas and resources change",
    before: deployment({}),
    after: deployment({ replicas: 1, template: dev }),
    inPlace: true,
  },
  {
    name: "Deployment: selector changes",
    before: deployment({}),
    after: deployment({
      selector: { matchLabels: { ...labels, tier: "dev" } },
      template: { ...template(), metadata: { labels: { ...labels, tier: "dev" } } },
    }),
    inPlace: false,
  },
  {
    name: "Service: clusterIP changes",
    before: service("10.0.0.50"),
    after: service("10.0.0.51", { clusterIPs: ["10.0.0.51"] }),
    inPlace: false,
  },
  {
    name: "Service: session affinity changes",
    before: service("10.0.0.60"),
    after: service("10.0.0.60", { sessionAffinity: "ClientIP" }),
    inPlace: true,
  },
  { name: "Job: parallelism changes", before: job({}), after: job({ parallelism: 2 }), inPlace: true },
  {
    name: "Job: pod template changes",
    before: job({}),
    after: job({
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "migrate", image: "migrate:1", resources: { limits: { cpu: "1" } } }],
        },
      },
    }),
    inPlace: false,
  },
  {
    name: "immutable ConfigMap: data changes",
    before: configMap({ a: "1" }),
    after: configMap({ a: "2" }),
    inPlace: false,
  },
];
