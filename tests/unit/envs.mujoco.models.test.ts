/**
 * The compiled MuJoCo models against Gymnasium 1.4's: each env's MJCF (written in TypeScript here) must
 * compile to the model that Gymnasium's XML asset compiles to. The facts below were read from Gymnasium's own
 * XML files compiled by the same MuJoCo build (@mujoco/mujoco 3.14.0); the total masses are also recomputed
 * from the geoms' sizes and densities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  antXml,
  halfCheetahXml,
  hopperXml,
  humanoidXml,
  invertedDoublePendulumXml,
  invertedPendulumXml,
  loadMujoco,
  type Mujoco,
  reacherXml,
  walker2dXml,
} from '../../src/envs';

interface ModelFacts {
  /** nq, nv, nu, nbody, njnt, ngeom, nsite, ntendon. */
  counts: number[];
  /** timestep, integrator (0 Euler, 1 RK4), solver (0 PGS, 2 Newton), iterations, gravity. */
  option: number[];
  bodyMass: number[];
  bodyInertia: number[];
  /** The first gear component of each actuator. */
  gear: number[];
  ctrlrange: number[];
  actuatorJoint: string[];
  damping: number[];
  armature: number[];
  stiffness: number[];
  /** Joint ranges in radians. */
  range: number[];
  friction: number[];
  contype: number[];
  conaffinity: number[];
  margin: number[];
  condim: number[];
}

const GYMNASIUM: Record<string, ModelFacts> = {
  'Reacher-v5': {
    counts: [4, 4, 2, 5, 4, 10, 0, 0],
    option: [0.01, 1, 2, 100, 0, 0, -9.81],
    bodyMass: [0, 0.03560471674068432, 0.03560471674068432, 0.004188790204786391, 0.0030536280592892784],
    bodyInertia: [
      0, 0, 0, 3.9175660390264734e-5, 3.9175660390264734e-5, 1.7383479349863525e-6, 3.9175660390264734e-5,
      3.9175660390264734e-5, 1.7383479349863525e-6, 1.6755160819145565e-7, 1.6755160819145565e-7,
      1.6755160819145565e-7, 9.893754912097261e-8, 9.893754912097261e-8, 9.893754912097261e-8,
    ],
    gear: [200, 200],
    ctrlrange: [-1, 1, -1, 1],
    actuatorJoint: ['joint0', 'joint1'],
    damping: [1, 1, 0, 0],
    armature: [1, 1, 0, 0],
    stiffness: [0, 0, 0, 0],
    range: [0, 0, -3, 3, -0.27, 0.27, -0.27, 0.27],
    friction: [
      1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1,
      1, 0.1, 0.1, 1, 0.1, 0.1,
    ],
    contype: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    conaffinity: [0, 0, 0, 0, 0, 0, 1, 1, 1, 0],
    margin: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    condim: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
  },
  'InvertedPendulum-v5': {
    counts: [2, 2, 1, 3, 2, 3, 0, 0],
    option: [0.02, 1, 2, 100, 0, 0, -9.81],
    bodyMass: [0, 10.47197551196598, 5.018591641363306],
    bodyInertia: [
      0, 0, 0, 0.12671090369478838, 0.12671090369478838, 0.04817108735504351, 0.1887497668730885,
      0.1887497668730885, 0.0059064963098460705,
    ],
    gear: [100],
    ctrlrange: [-3, 3],
    actuatorJoint: ['slider'],
    damping: [1, 1],
    armature: [0, 0],
    stiffness: [0, 0],
    range: [-1, 1, -1.5707963267948966, 1.5707963267948966],
    friction: [1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1],
    contype: [0, 0, 0],
    conaffinity: [1, 1, 1],
    margin: [0, 0, 0],
    condim: [3, 3, 3],
  },
  'InvertedDoublePendulum-v5': {
    counts: [3, 3, 1, 4, 3, 5, 1, 0],
    option: [0.01, 1, 2, 100, 1e-5, 0, -9.81],
    bodyMass: [0, 10.47197551196598, 4.1987385815227585, 4.1987385815227585],
    bodyInertia: [
      0, 0, 0, 0.12671090369478838, 0.12671090369478838, 0.04817108735504351, 0.15497066975016235,
      0.15497066975016235, 0.004173927853541032, 0.15497066975016235, 0.15497066975016235,
      0.004173927853541032,
    ],
    gear: [500],
    ctrlrange: [-1, 1],
    actuatorJoint: ['slider'],
    damping: [0.05, 0.05, 0.05],
    armature: [0, 0, 0],
    stiffness: [0, 0, 0],
    range: [-1, 1, 0, 0, 0, 0],
    friction: [1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1, 1, 0.1, 0.1],
    contype: [0, 0, 0, 0, 0],
    conaffinity: [1, 1, 1, 1, 1],
    margin: [0, 0, 0, 0, 0],
    condim: [3, 3, 3, 3, 3],
  },
  'HalfCheetah-v5': {
    counts: [9, 9, 6, 8, 9, 9, 0, 0],
    option: [0.01, 0, 2, 100, 0, 0, -9.81],
    bodyMass: [
      0, 6.25020920502092, 1.5435146443514645, 1.5874476987447697, 1.0953974895397491, 1.4380753138075317,
      1.200836820083682, 0.8845188284518829,
    ],
    bodyInertia: [
      0, 0, 0, 0.8971176881117434, 0.8856554522351578, 0.01796092340796636, 0.01684433958158996,
      0.01684433958158996, 0.0015760215899581589, 0.018267419079497905, 0.018267419079497905,
      0.0016225027615062756, 0.0063524232635983275, 0.0063524232635983275, 0.0011019136401673642,
      0.013739643347280341, 0.013739643347280341, 0.0014644667782426782, 0.008222108619246861,
      0.008222108619246861, 0.001213468451882845, 0.003529109456066946, 0.003529109456066946,
      0.0008788040167364017,
    ],
    gear: [120, 90, 60, 120, 60, 30],
    ctrlrange: [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1],
    actuatorJoint: ['bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot'],
    damping: [0, 0, 0, 6, 4.5, 3, 4.5, 3, 1.5],
    armature: [0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    stiffness: [0, 0, 0, 240, 180, 120, 180, 120, 60],
    range: [0, 0, 0, 0, 0, 0, -0.52, 1.05, -0.785, 0.785, -0.4, 0.785, -1, 0.7, -1.2, 0.87, -0.5, 0.5],
    friction: [
      0.4, 0.1, 0.1, 0.4, 0.1, 0.1, 0.4, 0.1, 0.1, 0.4, 0.1, 0.1, 0.4, 0.1, 0.1, 0.4, 0.1, 0.1, 0.4, 0.1, 0.1,
      0.4, 0.1, 0.1, 0.4, 0.1, 0.1,
    ],
    contype: [1, 1, 1, 1, 1, 1, 1, 1, 1],
    conaffinity: [1, 0, 0, 0, 0, 0, 0, 0, 0],
    margin: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    condim: [3, 3, 3, 3, 3, 3, 3, 3, 3],
  },
  'Hopper-v5': {
    counts: [6, 6, 3, 5, 6, 5, 0, 0],
    option: [0.002, 1, 2, 100, 0, 0, -9.81],
    bodyMass: [0, 3.6651914291880923, 4.057890510886818, 2.7813566959781637, 5.315574769873931],
    bodyInertia: [
      0, 0, 0, 0.069245938072875, 0.069245938072875, 0.004450589592585541, 0.09329875682692194,
      0.09329875682692194, 0.004941463444708948, 0.07230254017320971, 0.07230254017320971,
      0.0021821921450855186, 0.1035230805900054, 0.1035230805900054, 0.009242314259448886,
    ],
    gear: [200, 200, 200],
    ctrlrange: [-1, 1, -1, 1, -1, 1],
    actuatorJoint: ['thigh_joint', 'leg_joint', 'foot_joint'],
    damping: [0, 0, 0, 1, 1, 1],
    armature: [0, 0, 0, 1, 1, 1],
    stiffness: [0, 0, 0, 0, 0, 0],
    range: [
      0, 0, 0, 0, 0, 0, -2.6179938779914944, 0, -2.6179938779914944, 0, -0.7853981633974483,
      0.7853981633974483,
    ],
    friction: [
      1, 0.005, 0.0001, 0.9, 0.005, 0.0001, 0.9, 0.005, 0.0001, 0.9, 0.005, 0.0001, 2, 0.005, 0.0001,
    ],
    contype: [1, 1, 1, 1, 1],
    conaffinity: [1, 1, 1, 1, 1],
    margin: [0.001, 0.001, 0.001, 0.001, 0.001],
    condim: [3, 1, 1, 1, 1],
  },
  'Walker2d-v5': {
    counts: [9, 9, 6, 8, 9, 8, 0, 0],
    option: [0.002, 1, 2, 100, 0, 0, -9.81],
    bodyMass: [
      0, 3.6651914291880923, 4.057890510886818, 2.7813566959781637, 3.1667253948185117, 4.057890510886818,
      2.7813566959781637, 3.1667253948185117,
    ],
    bodyInertia: [
      0, 0, 0, 0.069245938072875, 0.069245938072875, 0.004450589592585541, 0.09329875682692194,
      0.09329875682692194, 0.004941463444708948, 0.07230254017320971, 0.07230254017320971,
      0.0021821921450855186, 0.02399774663482943, 0.02399774663482943, 0.005374385384349131,
      0.09329875682692194, 0.09329875682692194, 0.004941463444708948, 0.07230254017320971,
      0.07230254017320971, 0.0021821921450855186, 0.02399774663482943, 0.02399774663482943,
      0.005374385384349131,
    ],
    gear: [100, 100, 100, 100, 100, 100],
    ctrlrange: [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1],
    actuatorJoint: [
      'thigh_joint',
      'leg_joint',
      'foot_joint',
      'thigh_left_joint',
      'leg_left_joint',
      'foot_left_joint',
    ],
    damping: [0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    armature: [0, 0, 0, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01],
    stiffness: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    range: [
      0, 0, 0, 0, 0, 0, -2.6179938779914944, 0, -2.6179938779914944, 0, -0.7853981633974483,
      0.7853981633974483, -2.6179938779914944, 0, -2.6179938779914944, 0, -0.7853981633974483,
      0.7853981633974483,
    ],
    friction: [
      0.7, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 1.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1,
      1.9, 0.1, 0.1,
    ],
    contype: [1, 1, 1, 1, 1, 1, 1, 1],
    conaffinity: [1, 0, 0, 0, 0, 0, 0, 0],
    margin: [0, 0, 0, 0, 0, 0, 0, 0],
    condim: [3, 3, 3, 3, 3, 3, 3, 3],
  },
  'Ant-v5': {
    counts: [15, 14, 8, 14, 9, 14, 0, 0],
    option: [0.01, 1, 2, 100, 0, 0, -9.81],
    bodyMass: [
      0, 0.32724923474893675, 0.03915775372846671, 0.03915775372846671, 0.06759220453268026,
      0.03915775372846671, 0.03915775372846671, 0.06759220453268026, 0.03915775372846671, 0.03915775372846671,
      0.06759220453268026, 0.03915775372846671, 0.03915775372846671, 0.06759220453268026,
    ],
    bodyInertia: [
      0, 0, 0, 0.008181230868723419, 0.008181230868723419, 0.008181230868723419, 0.0005679660831928001,
      0.0005679660831928001, 0.00011844189805957145, 0.0005679660831928001, 0.0005679660831928001,
      0.00011844189805957145, 0.0026747906600381815, 0.0026747906600381815, 0.00020943214063305483,
      0.0005679660831928001, 0.0005679660831928001, 0.00011844189805957145, 0.0005679660831928001,
      0.0005679660831928001, 0.00011844189805957145, 0.0026747906600381815, 0.0026747906600381815,
      0.00020943214063305483, 0.0005679660831928001, 0.0005679660831928001, 0.00011844189805957145,
      0.0005679660831928001, 0.0005679660831928001, 0.00011844189805957145, 0.0026747906600381815,
      0.0026747906600381815, 0.00020943214063305483, 0.0005679660831928001, 0.0005679660831928001,
      0.00011844189805957145, 0.0005679660831928001, 0.0005679660831928001, 0.00011844189805957145,
      0.0026747906600381815, 0.0026747906600381815, 0.00020943214063305483,
    ],
    gear: [150, 150, 150, 150, 150, 150, 150, 150],
    ctrlrange: [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1],
    actuatorJoint: ['hip_4', 'ankle_4', 'hip_1', 'ankle_1', 'hip_2', 'ankle_2', 'hip_3', 'ankle_3'],
    damping: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
    armature: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
    stiffness: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    range: [
      0, 0, -0.5235987755982988, 0.5235987755982988, 0.5235987755982988, 1.2217304763960306,
      -0.5235987755982988, 0.5235987755982988, -1.2217304763960306, -0.5235987755982988, -0.5235987755982988,
      0.5235987755982988, -1.2217304763960306, -0.5235987755982988, -0.5235987755982988, 0.5235987755982988,
      0.5235987755982988, 1.2217304763960306,
    ],
    friction: [
      1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5,
      1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5, 1, 0.5, 0.5,
    ],
    contype: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    conaffinity: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    margin: [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01],
    condim: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
  },
  'Humanoid-v5': {
    counts: [24, 23, 17, 14, 18, 18, 0, 2],
    option: [0.003, 1, 0, 50, 0, 0, -9.81],
    bodyMass: [
      0, 8.907462370478262, 2.261946710584651, 6.616194128460103, 4.751750928806242, 2.7556961671836424,
      1.7671458676442586, 4.751750928806242, 2.7556961671836424, 1.7671458676442586, 1.6610804848382084,
      1.2295401928310803, 1.6610804848382084, 1.2295401928310803,
    ],
    bodyInertia: [
      0, 0, 0, 0.173241525045228, 0.15401014056466444, 0.041119154937622956, 0.00985303987130674,
      0.00985303987130674, 0.003745783752728182, 0.05231797918580651, 0.05231797918580651, 0.0243221474922391,
      0.07495165386519198, 0.07495165386519198, 0.008227431345527045, 0.032608015464339946,
      0.032608015464339946, 0.0031898902930933832, 0.003976078202199582, 0.003976078202199582,
      0.003976078202199582, 0.07495165386519198, 0.07495165386519198, 0.008227431345527045,
      0.032608015464339946, 0.032608015464339946, 0.0031898902930933832, 0.003976078202199582,
      0.003976078202199582, 0.003976078202199582, 0.015905542379591853, 0.015905542379591853,
      0.0012859711761735542, 0.013667228332107461, 0.013667228332107465, 0.0006215610823377786,
      0.015905542379591853, 0.015905542379591853, 0.0012859711761735542, 0.013667228332107463,
      0.013667228332107465, 0.0006215610823377783,
    ],
    gear: [100, 100, 100, 100, 100, 300, 200, 100, 100, 300, 200, 25, 25, 25, 25, 25, 25],
    ctrlrange: [
      -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4,
      0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4,
    ],
    actuatorJoint: [
      'abdomen_y',
      'abdomen_z',
      'abdomen_x',
      'right_hip_x',
      'right_hip_z',
      'right_hip_y',
      'right_knee',
      'left_hip_x',
      'left_hip_z',
      'left_hip_y',
      'left_knee',
      'right_shoulder1',
      'right_shoulder2',
      'right_elbow',
      'left_shoulder1',
      'left_shoulder2',
      'left_elbow',
    ],
    damping: [0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5, 1, 5, 5, 5, 1, 1, 1, 1, 1, 1, 1],
    armature: [
      0, 0, 0, 0, 0, 0, 0.02, 0.02, 0.02, 0.01, 0.01, 0.008, 0.006, 0.01, 0.01, 0.01, 0.006, 0.0068, 0.0051,
      0.0028, 0.0068, 0.0051, 0.0028,
    ],
    stiffness: [0, 20, 10, 10, 10, 10, 20, 0, 10, 10, 20, 1, 1, 1, 0, 1, 1, 0],
    range: [
      0, 0, -0.7853981633974483, 0.7853981633974483, -1.3089969389957472, 0.5235987755982988,
      -0.6108652381980153, 0.6108652381980153, -0.4363323129985824, 0.08726646259971647, -1.0471975511965976,
      0.6108652381980153, -1.9198621771937625, 0.3490658503988659, -2.792526803190927, -0.03490658503988659,
      -0.4363323129985824, 0.08726646259971647, -1.0471975511965976, 0.6108652381980153, -1.9198621771937625,
      0.3490658503988659, -2.792526803190927, -0.03490658503988659, -1.4835298641951802, 1.0471975511965976,
      -1.4835298641951802, 1.0471975511965976, -1.5707963267948966, 0.8726646259971648, -1.0471975511965976,
      1.4835298641951802, -1.0471975511965976, 1.4835298641951802, -1.5707963267948966, 0.8726646259971648,
    ],
    friction: [
      1, 0.1, 0.1, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001,
      1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005,
      0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1, 0.005, 0.0001, 1,
      0.005, 0.0001,
    ],
    contype: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    conaffinity: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    margin: [
      0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001,
      0.001, 0.001, 0.001,
    ],
    condim: [3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  },
};

const XML: Record<string, () => string> = {
  'Reacher-v5': reacherXml,
  'InvertedPendulum-v5': invertedPendulumXml,
  'InvertedDoublePendulum-v5': invertedDoublePendulumXml,
  'HalfCheetah-v5': halfCheetahXml,
  'Hopper-v5': hopperXml,
  'Walker2d-v5': walker2dXml,
  'Ant-v5': antXml,
  'Humanoid-v5': humanoidXml,
};

const MJ_OBJ_JOINT = 3;

let mj: Mujoco;
beforeAll(async () => {
  mj = await loadMujoco();
});

type Model = InstanceType<Mujoco['MjModel']>;
const models = new Map<string, Model>();
function compiled(id: string): Model {
  let model = models.get(id);
  if (model === undefined) {
    model = mj.MjModel.from_xml_string(XML[id]());
    models.set(id, model);
  }
  return model;
}
afterAll(() => {
  for (const model of models.values()) model.delete();
});

/** Elementwise equality to 1e-12 relative (the values are in fact bitwise equal with this MuJoCo build). */
function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  const bad = expected.findIndex((e, i) => !(Math.abs(actual[i] - e) <= 1e-12 * Math.max(1, Math.abs(e))));
  if (bad >= 0) throw new Error(`index ${bad}: ${actual[bad]} != ${expected[bad]}`);
}

function every(array: ArrayLike<number>, stride: number): number[] {
  return Array.from(array).filter((_, i) => i % stride === 0);
}

describe.each(Object.keys(GYMNASIUM))('%s model', (id) => {
  it("compiles to Gymnasium's sizes, options, masses, inertias, actuators, joints and contacts", () => {
    const facts = GYMNASIUM[id];
    const m = compiled(id);
    expect([m.nq, m.nv, m.nu, m.nbody, m.njnt, m.ngeom, m.nsite, m.ntendon]).toEqual(facts.counts);
    const option = m.opt;
    try {
      expectClose(
        [option.timestep, option.integrator, option.solver, option.iterations, ...option.gravity],
        facts.option,
      );
    } finally {
      option.delete();
    }
    expectClose(m.body_mass, facts.bodyMass);
    expectClose(m.body_inertia, facts.bodyInertia);
    expectClose(every(m.actuator_gear, 6), facts.gear);
    expectClose(m.actuator_ctrlrange, facts.ctrlrange);
    expect(every(m.actuator_trnid, 2).map((j) => mj.mj_id2name(m, MJ_OBJ_JOINT, j))).toEqual(
      facts.actuatorJoint,
    );
    expectClose(m.dof_damping, facts.damping);
    expectClose(m.dof_armature, facts.armature);
    expectClose(m.jnt_stiffness, facts.stiffness);
    expectClose(m.jnt_range, facts.range);
    expectClose(m.geom_friction, facts.friction);
    expect(Array.from(m.geom_contype)).toEqual(facts.contype);
    expect(Array.from(m.geom_conaffinity)).toEqual(facts.conaffinity);
    expectClose(m.geom_margin, facts.margin);
    expect(Array.from(m.geom_condim)).toEqual(facts.condim);
  });
});

/** Volumes of MuJoCo's primitive geoms. */
const capsule = (radius: number, length: number) =>
  Math.PI * radius ** 2 * length + (4 / 3) * Math.PI * radius ** 3;
const sphere = (radius: number) => (4 / 3) * Math.PI * radius ** 3;
const norm = (...xs: number[]) => Math.hypot(...xs);

describe('total masses from the geoms (inertiafromgeom, default density 1000)', () => {
  const total = (id: string) => Array.from(compiled(id).body_mass as Float64Array).reduce((s, x) => s + x, 0);

  it.each([
    ['InvertedPendulum-v5', 1000 * (capsule(0.1, 0.2) + capsule(0.049, norm(0.001, 0.6)))],
    ['InvertedDoublePendulum-v5', 1000 * (capsule(0.1, 0.2) + 2 * capsule(0.045, 0.6))],
    ['Reacher-v5', 1000 * (2 * capsule(0.01, 0.1) + sphere(0.01) + sphere(0.009))],
    ['HalfCheetah-v5', 14], // settotalmass
    [
      'Hopper-v5',
      1000 * (capsule(0.05, 0.4) + capsule(0.05, 0.45) + capsule(0.04, 0.5) + capsule(0.06, 0.39)),
    ],
    [
      'Walker2d-v5',
      1000 * (capsule(0.05, 0.4) + 2 * (capsule(0.05, 0.45) + capsule(0.04, 0.5) + capsule(0.06, 0.2))),
    ],
    ['Ant-v5', 5 * (sphere(0.25) + 4 * (2 * capsule(0.08, norm(0.2, 0.2)) + capsule(0.08, norm(0.4, 0.4))))],
    [
      'Humanoid-v5',
      1000 *
        (capsule(0.07, 0.14) + // torso1
          sphere(0.09) + // head
          2 * capsule(0.06, 0.12) + // uwaist, lwaist
          capsule(0.09, 0.14) + // butt
          2 * (capsule(0.06, norm(0.01, 0.34)) + capsule(0.049, 0.3) + sphere(0.075)) + // legs
          2 *
            (capsule(0.04, norm(0.16, 0.16, 0.16)) + capsule(0.031, norm(0.16, 0.16, 0.16)) + sphere(0.04))), // arms
    ],
  ])('%s: total mass %s kg', (id, mass) => {
    expect(total(id)).toBeCloseTo(mass, 9);
  });

  it('Walker2d-v5 has friction 1.9 on both feet (v4: 0.9 on the right foot), Hopper 2.0 on its foot', () => {
    const walker = compiled('Walker2d-v5');
    const friction = (m: Model, name: string) => m.geom_friction[3 * mj.mj_name2id(m, 5, name)];
    expect(friction(walker, 'foot_geom')).toBe(1.9);
    expect(friction(walker, 'foot_left_geom')).toBe(1.9);
    expect(friction(walker, 'thigh_geom')).toBe(0.9);
    expect(friction(compiled('Hopper-v5'), 'foot_geom')).toBe(2);
  });
});
