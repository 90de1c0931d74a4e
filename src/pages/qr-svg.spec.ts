import { describe, expect, it } from '@jest/globals';
import jsQRModule from 'jsqr';
import { qrCodeSvg } from './qr-svg.js';

// jsqr is CommonJS whose module.exports is the function itself; its types declare it as an ES default export.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

/**
 * The SVG is read as a browser would draw it: its path rasterised into a bitmap, which a QR
 * decoder must read back as the text that went in. A wrong text, a broken path or a missing
 * quiet zone fails here, not only on a phone.
 */

const URI = 'otpauth://totp/Gatehouse:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30';
const PIXELS_PER_MODULE = 4;

interface Drawing {
  /** viewBox side, in modules (quiet zone included). */
  size: number;
  attributes: Record<string, string>;
  title: string;
  /** dark[y][x] for each module. */
  dark: boolean[][];
}

function attributesOf(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, name, value]) => [name, value]));
}

/**
 * What the markup draws: the white background must cover the whole view box, then each run
 * "M x y" / "m dx 0" / "h n" of the dark path is a horizontal stroke one module wide through the
 * middle of row y - 0.5 (qrcode's lib/renderer/svg-tag.js). Anything else in the path fails.
 */
function draw(svg: string): Drawing {
  const match = /^(<svg [^>]*>)<title>([^<]*)<\/title><path ([^>]*)\/><path ([^>]*)\/><\/svg>$/.exec(svg);
  if (!match) throw new Error(`unexpected markup: ${svg.slice(0, 200)}`);
  const attributes = attributesOf(match[1]);
  const [, , width, height] = attributes.viewBox.split(' ').map(Number);
  expect(width).toBe(height);
  const background = attributesOf(match[3]);
  expect(background).toEqual({ fill: '#ffffff', d: `M0 0h${width}v${width}H0z` });
  const strokes = attributesOf(match[4]);
  expect(strokes.stroke).toBe('#000000');

  const dark = Array.from({ length: width }, () => new Array<boolean>(width).fill(false));
  let [x, y] = [0, 0];
  for (const [, command, args] of strokes.d.matchAll(/([A-Za-z])([^A-Za-z]*)/g)) {
    const n = args.trim().split(/\s+/).map(Number);
    if (command === 'M') [x, y] = n;
    else if (command === 'm') [x, y] = [x + n[0], y + n[1]];
    else if (command === 'h') {
      expect(y % 1).toBe(0.5);
      for (let column = x; column < x + n[0]; column++) dark[y - 0.5][column] = true;
      x += n[0];
    } else throw new Error(`unexpected path command ${command}`);
  }
  return { size: width, attributes, title: match[2], dark };
}

/** The drawing as RGBA pixels, PIXELS_PER_MODULE to a module, and what a QR decoder reads in it. */
function decode({ size, dark }: Drawing): string | undefined {
  const side = size * PIXELS_PER_MODULE;
  const pixels = new Uint8ClampedArray(side * side * 4);
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      const value = dark[Math.floor(py / PIXELS_PER_MODULE)][Math.floor(px / PIXELS_PER_MODULE)] ? 0 : 255;
      pixels.set([value, value, value, 255], (py * side + px) * 4);
    }
  }
  return jsQR(pixels, side, side, { inversionAttempts: 'dontInvert' })?.data;
}

describe('qrCodeSvg', () => {
  it('draws a QR code that decodes to the otpauth:// URI, quiet zone included', async () => {
    const drawing = draw(await qrCodeSvg(URI));
    expect(decode(drawing)).toBe(URI);
    // Four white modules on every side.
    const quiet = [
      ...drawing.dark.slice(0, 4),
      ...drawing.dark.slice(-4),
      ...drawing.dark.map((row) => [...row.slice(0, 4), ...row.slice(-4)]),
    ];
    expect(quiet.flat().some(Boolean)).toBe(false);
  });

  it.each([
    [
      'a long address and issuer',
      'otpauth://totp/Example%20Corp:a.very.long.name%2Btag@sub.example.co.uk?secret=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567&issuer=Example%20Corp&algorithm=SHA1&digits=6&period=30',
    ],
    ['any other text', 'hello'],
  ])('draws %s as that text', async (_, text) => {
    expect(decode(draw(await qrCodeSvg(text)))).toBe(text);
  });

  it('is inline markup: no XML prolog, sized in whole pixels per module, named for screen readers but never by the text', async () => {
    const svg = await qrCodeSvg(URI);
    expect(svg.startsWith('<svg ')).toBe(true);
    const { size, attributes, title } = draw(svg);
    expect(attributes).toEqual({
      xmlns: 'http://www.w3.org/2000/svg',
      viewBox: `0 0 ${size} ${size}`,
      width: String(size * 4),
      height: String(size * 4),
      'shape-rendering': 'crispEdges',
      class: 'qr-code',
      role: 'img',
      'aria-label': 'QR code to scan with your authenticator app',
    });
    expect(title).toBe('QR code to scan with your authenticator app');
    expect(svg).not.toContain('JBSWY3DPEHPK3PXP');
    expect(svg).not.toMatch(/style|script/i);
  });

  it('escapes the label it is given', async () => {
    const { attributes, title } = draw(await qrCodeSvg('x', 'Scan "this" <now> & enter the code'));
    expect(attributes['aria-label']).toBe('Scan &quot;this&quot; &lt;now&gt; &amp; enter the code');
    expect(title).toBe('Scan &quot;this&quot; &lt;now&gt; &amp; enter the code');
  });
});
