/**
 * The exported policy is a real tfjs LayersModel: served over HTTP as model.json + weights, as a user would,
 * `tf.loadLayersModel` loads it and it acts as the agent acts, bounds included (asymmetric ones too).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random';
import { exportPolicy, WEIGHTS_FILE } from '../../src/rl/policyExport';
import { configFromPreset } from '../../src/rl/presets';
import { TD3 } from '../../src/rl/td3';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    try {
      response.end(readFileSync(join(dir, (request.url ?? '/').slice(1))));
    } catch {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('policy export (tfjs LayersModel)', () => {
  for (const space of [
    { id: 'Pendulum-v1', observationSize: 3, actionSize: 1, actionLow: [-2], actionHigh: [2] },
    { id: 'Asymmetric-v0', observationSize: 5, actionSize: 2, actionLow: [-1, 0], actionHigh: [3, 0.5] },
  ]) {
    it(`loads with tf.loadLayersModel and acts as the agent does (${space.id})`, async () => {
      const config = configFromPreset('quick', { hidden1: 16, hidden2: 12 });
      const agent = new TD3(space, config, 4);
      const exported = await exportPolicy(agent, space, config, 1234);
      const dir = mkdtempSync(join(tmpdir(), 'td3-policy-'));
      writeFileSync(join(dir, 'model.json'), exported.modelJson);
      writeFileSync(join(dir, WEIGHTS_FILE), Buffer.from(exported.weights));
      writeFileSync(join(dir, 'policy.config.json'), JSON.stringify(exported.config));
      const server = await serve(dir);
      try {
        const model = await tf.loadLayersModel(`${server.url}/model.json`);
        const rng = Random.stream(1, 'observations');
        const n = 9;
        const observations = new Float32Array(n * space.observationSize).map(() => rng.uniformRange(-3, 3));
        const fromModel = (
          model.predict(tf.tensor2d(observations, [n, space.observationSize])) as tf.Tensor
        ).dataSync();
        const fromAgent = agent.actBatch(observations, n);
        for (let i = 0; i < fromAgent.length; i++) expect(fromModel[i]).toBeCloseTo(fromAgent[i], 5);
        for (let i = 0; i < fromModel.length; i++) {
          const j = i % space.actionSize;
          expect(fromModel[i]).toBeGreaterThanOrEqual(space.actionLow[j] - 1e-6);
          expect(fromModel[i]).toBeLessThanOrEqual(space.actionHigh[j] + 1e-6);
        }
        model.dispose();
      } finally {
        await server.close();
      }
      expect(JSON.parse(readFileSync(join(dir, 'policy.config.json'), 'utf8'))).toMatchObject({
        format: 'td3-playground-policy',
        env: space.id,
        observationSize: space.observationSize,
        actionLow: space.actionLow,
        step: 1234,
      });
      agent.dispose();
    });
  }
});
