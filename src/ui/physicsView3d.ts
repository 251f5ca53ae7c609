/**
 * A 3D view of a MuJoCo model (Ant, Humanoid) with three.js: one mesh per geom, placed every frame from the
 * geom poses the worker streams; the camera follows the body from behind and to the side. MuJoCo is z-up,
 * three.js y-up: world (x, y, z) is drawn at (x, z, −y).
 */
import * as THREE from 'three';
import type { EnvScene } from '../envs/types';

const SPHERE = 2;
const CAPSULE = 3;
const ELLIPSOID = 4;
const CYLINDER = 5;
const BOX = 6;

/** MuJoCo (z-up) to three.js (y-up). */
const Z_UP_TO_Y_UP = new THREE.Matrix4().set(1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1);

export class PhysicsView3d {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera: THREE.PerspectiveCamera;
  private readonly root = new THREE.Group();
  private meshes: (THREE.Mesh | null)[] = [];
  private builtFor: Int32Array | null = null;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
    this.renderer.setPixelRatio(1);
    this.renderer.setSize(canvas.width, canvas.height, false);
    this.scene.background = new THREE.Color('#f8fafc');
    this.camera = new THREE.PerspectiveCamera(45, canvas.width / canvas.height, 0.05, 100);
    this.scene.add(new THREE.HemisphereLight('#ffffff', '#64748b', 2.2));
    const sun = new THREE.DirectionalLight('#ffffff', 1.5);
    sun.position.set(3, 6, 4);
    this.scene.add(sun);
    // A checkered floor of 1 m squares, so motion shows while the camera follows.
    const checker = new THREE.DataTexture(
      new Uint8Array([226, 232, 240, 255, 203, 213, 225, 255, 203, 213, 225, 255, 226, 232, 240, 255]),
      2,
      2,
    );
    checker.magFilter = THREE.NearestFilter;
    checker.wrapS = THREE.RepeatWrapping;
    checker.wrapT = THREE.RepeatWrapping;
    checker.repeat.set(200, 200);
    checker.needsUpdate = true;
    const floor = new THREE.Mesh(
      new THREE.PlaneGeometry(400, 400).rotateX(-Math.PI / 2),
      new THREE.MeshStandardMaterial({ map: checker, roughness: 1 }),
    );
    this.scene.add(floor);
    this.root.matrixAutoUpdate = false;
    this.root.matrix.copy(Z_UP_TO_Y_UP);
    this.scene.add(this.root);
  }

  /** Meshes for each geom, built once per model (the plane is the grid). */
  private build(scene: EnvScene): void {
    for (const mesh of this.meshes) {
      if (!mesh) continue;
      this.root.remove(mesh);
      mesh.geometry.dispose();
      (mesh.material as THREE.Material).dispose();
    }
    this.meshes = Array.from(scene.types, (type, i) => {
      const [a, b, c] = scene.sizes.subarray(3 * i, 3 * i + 3);
      let geometry: THREE.BufferGeometry | null = null;
      // three.js capsules and cylinders run along y; MuJoCo's along the geom's local z.
      const alongZ = new THREE.Matrix4().makeRotationX(Math.PI / 2);
      if (type === SPHERE) geometry = new THREE.SphereGeometry(a, 20, 14);
      else if (type === ELLIPSOID) geometry = new THREE.SphereGeometry(1, 20, 14).scale(a, b, c);
      else if (type === CAPSULE) geometry = new THREE.CapsuleGeometry(a, 2 * b, 6, 14).applyMatrix4(alongZ);
      else if (type === CYLINDER) geometry = new THREE.CylinderGeometry(a, a, 2 * b, 16).applyMatrix4(alongZ);
      else if (type === BOX) geometry = new THREE.BoxGeometry(2 * a, 2 * b, 2 * c);
      if (!geometry) return null;
      const [r, g, bl, alpha] = scene.rgba.subarray(4 * i, 4 * i + 4);
      const material = new THREE.MeshStandardMaterial({
        color: new THREE.Color(r, g, bl),
        transparent: alpha < 1,
        opacity: Math.max(0.3, alpha),
        roughness: 0.7,
      });
      const mesh = new THREE.Mesh(geometry, material);
      mesh.matrixAutoUpdate = false;
      this.root.add(mesh);
      return mesh;
    });
    this.builtFor = scene.types;
  }

  draw(scene: EnvScene): void {
    if (
      !this.builtFor ||
      this.builtFor.length !== scene.types.length ||
      this.builtFor.some((t, i) => t !== scene.types[i])
    ) {
      this.build(scene);
    }
    let cx = 0;
    let cy = 0;
    let count = 0;
    this.meshes.forEach((mesh, i) => {
      if (!mesh) return;
      const p = scene.xpos.subarray(3 * i, 3 * i + 3);
      const m = scene.xmat.subarray(9 * i, 9 * i + 9);
      mesh.matrix.set(m[0], m[1], m[2], p[0], m[3], m[4], m[5], p[1], m[6], m[7], m[8], p[2], 0, 0, 0, 1);
      cx += p[0];
      cy += p[1];
      count++;
    });
    if (count) {
      // Follow the body: behind and to the side, looking at its centre (in three.js coordinates).
      const target = new THREE.Vector3(cx / count, 0.5, -cy / count);
      this.camera.position.set(target.x - 2.2, 1.8, target.z + 3.2);
      this.camera.lookAt(target);
    }
    this.renderer.render(this.scene, this.camera);
  }

  dispose(): void {
    for (const mesh of this.meshes) {
      mesh?.geometry.dispose();
      (mesh?.material as THREE.Material | undefined)?.dispose();
    }
    this.renderer.dispose();
  }
}
