/**
 * The Content-Security-Policy the production build is served with (`vite preview`; a static host should
 * send the same). Scripts only from the page's origin, WebAssembly compiled from bytes but no eval, workers
 * from the origin and from blob: (the wasm kernels' helper threads), no plugins, no framing, nothing sent
 * anywhere but the origin. Inline style attributes are allowed (KaTeX lays out equations with them); style
 * sheets come only from the origin.
 *
 * One exception: the training worker's script gets 'unsafe-eval', because MuJoCo's WebAssembly glue (Embind)
 * builds its function wrappers with `new Function`. That policy holds inside the worker alone; the page,
 * where URL and file contents are shown, never allows eval.
 */
const base = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

export const PAGE_CSP = base.join('; ');
export const TRAINING_WORKER_CSP = base
  .map((d) => (d.startsWith('script-src') ? `${d} 'unsafe-eval'` : d))
  .join('; ');

/** The policy for one request of the built app: the training worker's script, or everything else. */
export function policyFor(url: string): string {
  return /\/assets\/training\.worker-[^/]*\.js(\?|$)/.test(url) ? TRAINING_WORKER_CSP : PAGE_CSP;
}
