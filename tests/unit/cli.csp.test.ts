import { describe, expect, it } from 'vitest';
import { PAGE_CSP, policyFor, TRAINING_WORKER_CSP } from '../../src/cli/contentSecurityPolicy';

describe('Content-Security-Policy of the production build', () => {
  it('never allows eval on the page; only the training worker script, for MuJoCo’s glue, gets it', () => {
    for (const url of [
      '/',
      '/index.html',
      '/assets/index-abc.js',
      '/assets/index-abc.css',
      '/#lab',
      '/assets/training.worker.txt',
    ])
      expect(policyFor(url)).toBe(PAGE_CSP);
    expect(PAGE_CSP).not.toContain("'unsafe-eval'");
    expect(PAGE_CSP).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(policyFor('/assets/training.worker--OlZO8HH.js')).toBe(TRAINING_WORKER_CSP);
    expect(TRAINING_WORKER_CSP).toMatch(/script-src 'self' 'wasm-unsafe-eval' blob: 'unsafe-eval'/);
    for (const directive of [
      "object-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "default-src 'self'",
    ])
      expect(PAGE_CSP).toContain(directive);
  });
});
