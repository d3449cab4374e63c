// The real tools as oracles: a real API server with the Flux CRDs, the real
// flux CLI, and tilt. Needs `npm run tools`; without it the suite skips
// locally and fails in CI (CI=true), so a missing build step cannot pass
// silently.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crashLoopPodStatus,
  haveTool,
  haveTools,
  runningPodStatus,
  startTestCluster,
  toolPath,
  toolsDir,
  toolUnavailable,
  type TestCluster,
} from '../support/cluster.ts';

const inCI = Boolean(process.env.CI);
const ready = haveTools();
const tiltSkipReason = haveTool('tilt') ? undefined : toolUnavailable('tilt') ?? (inCI ? undefined : 'not built');

if (!ready && !inCI) {
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!! SKIPPING test/realtools: etcd/kube-apiserver/flux/CRDs not in ${toolsDir}`,
      '!! Run `npm run tools` (Go builds, ~15 min cold) to enable these tests.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
}
if (ready && tiltSkipReason) {
  console.warn(`\n!! SKIPPING the tilt test: ${tiltSkipReason}\n`);
}

describe.runIf(!ready && inCI)('real tools in CI', () => {
  it('are built by `npm run tools`', () => {
    expect.fail(`CI is set but etcd/kube-apiserver/flux/CRDs are missing in ${toolsDir}: run \`npm run tools\` first`);
  });
});

const kustomization = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'flux-system' },
    spec,
  });

const validSpec = {
  interval: '10m',
  path: './apps',
  prune: true,
  sourceRef: { kind: 'GitRepository', name: 'flux-system' },
};

describe.skipIf(!ready)('real tools: test cluster', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'realtools-'));
    cluster = await startTestCluster();
    await cluster.kubectl(['create', 'namespace', 'flux-system']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 120_000);

  it('accepts a valid Flux Kustomization and rejects an invalid one', async () => {
    const ok = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], {
      input: kustomization('apps', validSpec),
    });
    expect(ok.stdout).toContain('kustomization.kustomize.toolkit.fluxcd.io/apps created (server dry run)');

    // prune must be a boolean and sourceRef is required.
    const bad = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], {
      input: kustomization('broken', { interval: '10m', prune: 'yes' }),
      reject: false,
    });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/spec\.prune: Invalid value/);
    expect(bad.stderr).toMatch(/spec\.sourceRef: Required value/);
  });

  it('lets a test set a pod to Running and then CrashLoopBackOff', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { containers: [{ name: 'app', image: 'example.invalid/image:test' }] },
    };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });

    await cluster.setPodStatus('default', 'web', runningPodStatus('app'));
    const running = await cluster.kubectl(['get', 'pod', 'web', '-n', 'default', '-o', 'json']);
    const runningStatus = JSON.parse(running.stdout).status;
    expect(runningStatus.phase).toBe('Running');
    expect(runningStatus.containerStatuses[0].ready).toBe(true);

    await cluster.setPodStatus('default', 'web', crashLoopPodStatus('app', 3));
    const crashing = await cluster.kubectl([
      'get', 'pod', 'web', '-n', 'default',
      '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].restartCount}',
    ]);
    expect(crashing.stdout).toBe('CrashLoopBackOff 3');
  });

  it('flux suspend/resume flip spec.suspend on a real Kustomization', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: kustomization('infra', validSpec) });
    const flux = (args: string[]) =>
      execa(toolPath('flux'), [...args, '--kubeconfig', cluster.kubeconfig, '--context', cluster.context]);
    const suspended = () =>
      cluster.kubectl(['get', 'kustomization', 'infra', '-n', 'flux-system', '-o', 'jsonpath={.spec.suspend}']);

    await flux(['suspend', 'kustomization', 'infra', '-n', 'flux-system']);
    expect((await suspended()).stdout).toBe('true');

    // No kustomize-controller runs here: --wait=false returns right after
    // the patch instead of waiting for a reconciliation that never comes.
    await flux(['resume', 'kustomization', 'infra', '-n', 'flux-system', '--wait=false']);
    // flux writes suspend=false, which the omitempty field drops.
    expect((await suspended()).stdout).toMatch(/^(false)?$/);
  });

  it.skipIf(Boolean(tiltSkipReason))('tilt alpha tiltfile-result prints JSON for a Tiltfile', async () => {
    if (!haveTool('tilt')) {
      expect.fail(`CI is set but ${toolPath('tilt')} is missing and not recorded as unavailable: run \`npm run tools\``);
    }
    const tiltfile = join(workDir, 'Tiltfile');
    writeFileSync(
      tiltfile,
      [
        "allow_k8s_contexts('tilt-test')",
        'k8s_yaml(blob("""',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: hello',
        'data:',
        '  greeting: hi',
        '"""))',
        '',
      ].join('\n'),
    );
    const result = await execa(toolPath('tilt'), ['alpha', 'tiltfile-result', '-f', tiltfile], {
      cwd: workDir,
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    // k8s_yaml without a workload lands in Tilt's "uncategorized" manifest.
    const parsed = JSON.parse(result.stdout) as { Manifests: { Name: string; DeployTarget?: { yaml?: string } }[] };
    expect(parsed.Manifests.map((m) => m.Name)).toEqual(['uncategorized']);
    expect(parsed.Manifests[0]?.DeployTarget?.yaml).toContain('name: hello');
  });
});
