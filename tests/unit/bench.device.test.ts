/**
 * bench/device/: what a lent GPU machine (Python and PyTorch, a GPU driver, no Node, no npm, no network) needs to
 * run the bench's Node parts. Packed here, then run from a folder that holds only what travels there (the
 * PyTorch script, run.sh and the pack: no node_modules), on SwiftShader's Vulkan driver in place of a GPU's.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../src/cli/bench/types';
import { SWIFTSHADER_VULKAN } from '../../src/cli/webgpu';

describe('bench/device: the Node parts of the bench, packed for a GPU machine', () => {
  it('packs Node, the bundled bench, Dawn and the Vulkan loader, and the pack runs without node_modules', () => {
    const root = mkdtempSync(join(tmpdir(), 'td3-device-'));
    const pack = join(root, '.device');
    const packed = spawnSync('bash', ['bench/device/pack.sh', pack], { encoding: 'utf8', timeout: 240_000 });
    expect(packed.status, packed.stderr).toBe(0);
    expect(existsSync(join(pack, 'node.gz'))).toBe(true);
    expect(existsSync(join(pack, 'node_modules/webgpu/dist/linux-x64/dawn.node.gz'))).toBe(true);
    expect(spawnSync('bash', ['-c', `ls ${pack}/gl/libvulkan1_*.deb`]).status).toBe(0);
    // The device tool carries at most 64 MiB with the working tree.
    const size = Number(spawnSync('du', ['-sb', pack], { encoding: 'utf8' }).stdout.split('\t')[0]);
    expect(size).toBeLessThan(56 * 2 ** 20);

    // What travels: the repository's files the run uses, and the pack; nothing installed.
    mkdirSync(join(root, 'bench/device'), { recursive: true });
    for (const file of ['bench/torch_td3.py', 'bench/device/run.sh']) copyFileSync(file, join(root, file));
    const out = join(root, 'out');
    const run = spawnSync('bash', ['bench/device/run.sh', '--quick', '--repeats', '1'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, OUT: out, VK_ICD_FILENAMES: SWIFTSHADER_VULKAN },
    });
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    expect(statSync(join(pack, 'node')).mode & 0o111).not.toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    expect(json.parts).toEqual(['torch', 'node', 'population']);
    const webgpu = json.backends.find((b) => b.backend === 'webgpu');
    expect(webgpu?.error ?? null).toBeNull();
    expect(webgpu?.details).toMatch(/Dawn, adapter google swiftshader/);
    for (const run of json.backends) {
      expect(run.error ?? null, run.backend).toBeNull();
      expect(run.timings.every((t) => t.median > 0)).toBe(true);
    }
    // The population on wasm and on Node's webgpu; the browser's rows say why they did not run.
    expect(json.population?.timings).toHaveLength(4);
    const [nodeGpu, ...browser] = json.populationGpu ?? [];
    expect(nodeGpu.where).toBe('node');
    expect(nodeGpu.error ?? null).toBeNull();
    expect(nodeGpu.timings.map((t) => `${t.members} ${t.mode}`)).toEqual([
      '1 one after another',
      '1 batched',
      '2 one after another',
      '2 batched',
    ]);
    expect(browser.map((r) => r.where)).toEqual(['browser', 'browser']);
    for (const r of browser)
      expect(r.error).toMatch(/^not run: no browser driver here \(Cannot find package 'playwright-core'/);
    rmSync(root, { recursive: true, force: true });
  }, 480_000);
});
