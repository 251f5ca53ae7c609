/**
 * A minimal MJCF writer: the models are described as TypeScript trees and serialised to the XML text that
 * `MjModel.from_xml_string` compiles, so no model file has to be fetched or bundled.
 *
 * Numbers are written with JavaScript's shortest round-trip formatting, so MuJoCo parses back exactly the
 * double that the TypeScript source holds.
 */

export type AttrValue = string | number | boolean | readonly number[];

export interface MjcfElement {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, AttrValue | undefined>>;
  readonly children: readonly MjcfElement[];
}

/** An element; attributes set to `undefined` are left out. */
export function el(
  tag: string,
  attrs: Readonly<Record<string, AttrValue | undefined>> = {},
  ...children: MjcfElement[]
): MjcfElement {
  return { tag, attrs, children };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`MJCF: attribute values must be finite, got ${value}`);
  return String(value);
}

function formatValue(value: AttrValue): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    if (/[<>&"]/.test(value)) throw new Error(`MJCF: attribute value '${value}' needs escaping`);
    return value;
  }
  return value.map(formatNumber).join(' ');
}

/** Serialises an element tree to MJCF text. */
export function toXml(root: MjcfElement, indent = ''): string {
  const attrs = Object.entries(root.attrs)
    .filter((entry): entry is [string, AttrValue] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${formatValue(value)}"`)
    .join('');
  if (root.children.length === 0) return `${indent}<${root.tag}${attrs}/>`;
  const inner = root.children.map((child) => toXml(child, `${indent}  `)).join('\n');
  return `${indent}<${root.tag}${attrs}>\n${inner}\n${indent}</${root.tag}>`;
}

/** The checkered ground plane of Gymnasium's locomotion models (Ant, HalfCheetah, Hopper, Walker2d). */
export function floorGeom(size: readonly number[]): MjcfElement {
  return el('geom', {
    conaffinity: 1,
    condim: 3,
    name: 'floor',
    pos: [0, 0, 0],
    rgba: [0.8, 0.9, 0.8, 1],
    size,
    type: 'plane',
  });
}
