/**
 * Train flags for a run that finishes in a second or two: Pendulum with the `quick` preset, 8-8 networks,
 * batch 16, learning from step 100, one episode per evaluation. Tests add steps, seeds and schedules.
 */
export const TINY_RUN_FLAGS = [
  '--env',
  'Pendulum-v1',
  '--preset',
  'quick',
  '--start-steps',
  '100',
  '--hidden1',
  '8',
  '--hidden2',
  '8',
  '--batch-size',
  '16',
  '--eval-episodes',
  '1',
];
