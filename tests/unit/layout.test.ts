/**
 * The rooms of src/ and the direction of their dependencies, as README's layout describes them, checked on
 * every import (static, dynamic and type-only): no room imports one it must not know, and no module imports
 * itself round a cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Each module's imports: relative ones resolved to files of src/, bare ones (packages) as written. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:import|export)[^'"`;]*?from\s+'([^']+)'/g),
    ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g),
    ...text.matchAll(/^import\s+'([^']+)'/gm),
  ].map((m) => m[1]);
  const local: string[] = [];
  const packages: string[] = [];
  for (const spec of specifiers) {
    if (!spec.startsWith('.')) {
      packages.push(spec);
      continue;
    }
    const base = resolve(dirname(file), spec);
    const found = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), base].find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (found?.startsWith(SRC) && /\.tsx?$/.test(found)) local.push(found);
  }
  return { local, packages };
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const room = (file: string) => relative(SRC, file).split('/')[0];

/** Rooms each room may not import, and packages it may not use. */
const FORBIDDEN: Record<string, { rooms: string[]; packages?: RegExp }> = {
  rl: { rooms: ['envs', 'train', 'worker', 'ui', 'cli', 'lab'], packages: /^react|^zustand|^recharts/ },
  compute: { rooms: ['rl', 'envs', 'train', 'worker', 'ui', 'cli', 'lab'] },
  envs: { rooms: ['rl', 'compute', 'train', 'worker', 'ui', 'cli', 'lab'], packages: /^@tensorflow/ },
  train: { rooms: ['worker', 'ui', 'cli', 'lab'], packages: /^react|^zustand|^recharts/ },
  lab: { rooms: ['rl/td3', 'compute', 'worker', 'ui', 'cli'], packages: /^@tensorflow|^react/ },
  ui: { rooms: ['cli'], packages: /^@tensorflow/ },
};

describe('the layout of src/', () => {
  it('keeps each room to the rooms it may know', () => {
    const breaches: string[] = [];
    for (const [file, { local, packages }] of graph) {
      const rules = FORBIDDEN[room(file)];
      if (!rules) continue;
      for (const target of local) {
        const path = relative(SRC, target);
        if (
          rules.rooms.some((r) => path === `${r}.ts` || path.startsWith(`${r}/`) || path.startsWith(`${r}.`))
        )
          breaches.push(`${relative(SRC, file)} imports ${path}`);
      }
      for (const name of packages)
        if (rules.packages?.test(name)) breaches.push(`${relative(SRC, file)} imports ${name}`);
    }
    expect(breaches).toEqual([]);
  });

  it('keeps tfjs out of the page: nothing the UI imports, however indirectly, imports it', () => {
    const reached = new Set<string>();
    const reach = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const next of graph.get(file)?.local ?? []) reach(next);
    };
    for (const file of files) if (room(file) === 'ui') reach(file);
    const tfjs = [...reached].filter((f) => graph.get(f)?.packages.some((p) => p.startsWith('@tensorflow')));
    expect(tfjs.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push(
          path
            .slice(path.indexOf(file))
            .concat(file)
            .map((f) => relative(SRC, f))
            .join(' → '),
        );
        return;
      }
      state.set(file, 'open');
      path.push(file);
      for (const next of graph.get(file)?.local ?? []) visit(next);
      path.pop();
      state.set(file, 'done');
    };
    for (const file of files) visit(file);
    expect(cycles).toEqual([]);
  });

  it('writes the TD3 update once, against its operations: it knows no tfjs and no kernels, only their types', () => {
    const update = graph.get(join(SRC, 'rl/td3Update.ts'));
    expect(update?.packages).toEqual([]);
    const text = readFileSync(join(SRC, 'rl/td3Update.ts'), 'utf8');
    // Every import of the update is of types alone; the operations come in as an argument.
    const imports = [...text.matchAll(/^import (type )?.*$/gm)];
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((m) => !m[1]).map((m) => m[0])).toEqual([]);
    // Both implementations of the operations are used by the agent, and neither knows the agent.
    const td3 = graph.get(join(SRC, 'rl/td3.ts'))?.local.map((f) => relative(SRC, f));
    expect(td3).toEqual(expect.arrayContaining(['rl/td3Update.ts', 'rl/tfjsOps.ts', 'rl/inPlaceOps.ts']));
    for (const ops of ['rl/tfjsOps.ts', 'rl/inPlaceOps.ts'])
      expect(graph.get(join(SRC, ops))?.local.map((f) => relative(SRC, f))).not.toContain('rl/td3.ts');
  });

  it('reads the imports it checks (the check itself can fail)', () => {
    const td3 = graph.get(join(SRC, 'rl/td3.ts'));
    expect(td3?.local.map((f) => relative(SRC, f))).toContain('rl/inPlaceOps.ts');
    expect(td3?.packages).toContain('@tensorflow/tfjs');
  });
});
