/**
 * Files out of the page: text and blobs saved through a temporary link, and charts as SVG (the chart's own
 * SVG with its legend drawn in) or PNG (that SVG drawn onto a canvas at twice the size).
 */

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const saveText = (text: string, fileName: string, type: string): void =>
  saveBlob(new Blob([text], { type }), fileName);

export interface LegendEntry {
  label: string;
  color: string;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * A standalone SVG of the chart in `figure`: its title on top and the legend below, drawn in SVG (recharts
 * draws its legend in HTML, which a lone SVG file would lose).
 */
export function chartSvg(figure: HTMLElement, title: string, legend: readonly LegendEntry[]): string {
  const source = figure.querySelector('svg.recharts-surface');
  if (!source) throw new Error('the chart has not been drawn yet');
  const width = Number(source.getAttribute('width')) || 600;
  const height = Number(source.getAttribute('height')) || 240;
  const top = 24;
  const legendRows = Math.ceil(legend.length / 3);
  const total = top + height + legendRows * 18 + 8;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('xmlns', SVG_NS);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(total));
  svg.setAttribute('viewBox', `0 0 ${width} ${total}`);
  svg.setAttribute('font-family', 'system-ui, sans-serif');
  const background = document.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', '100%');
  background.setAttribute('height', '100%');
  background.setAttribute('fill', '#ffffff');
  svg.append(background);
  const heading = document.createElementNS(SVG_NS, 'text');
  heading.setAttribute('x', '8');
  heading.setAttribute('y', '17');
  heading.setAttribute('font-size', '14');
  heading.setAttribute('font-weight', '600');
  heading.textContent = title;
  svg.append(heading);
  const plot = source.cloneNode(true) as SVGSVGElement;
  plot.setAttribute('x', '0');
  plot.setAttribute('y', String(top));
  svg.append(plot);
  legend.forEach((entry, i) => {
    const x = 12 + (i % 3) * (width / 3);
    const y = top + height + 14 + Math.floor(i / 3) * 18;
    const swatch = document.createElementNS(SVG_NS, 'rect');
    swatch.setAttribute('x', String(x));
    swatch.setAttribute('y', String(y - 9));
    swatch.setAttribute('width', '14');
    swatch.setAttribute('height', '10');
    swatch.setAttribute('fill', entry.color);
    const text = document.createElementNS(SVG_NS, 'text');
    text.setAttribute('x', String(x + 20));
    text.setAttribute('y', String(y));
    text.setAttribute('font-size', '12');
    text.textContent = entry.label;
    svg.append(swatch, text);
  });
  return new XMLSerializer().serializeToString(svg);
}

/** The SVG drawn onto a canvas at `scale`, as a PNG. */
export async function svgToPng(svgText: string, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(image.naturalWidth * scale);
    canvas.height = Math.round(image.naturalHeight * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas');
    context.scale(scale, scale);
    context.drawImage(image, 0, 0);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
