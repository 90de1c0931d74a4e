import { describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { decodeQrFromPng } from './qr.js';

const URI = 'otpauth://totp/Gatehouse:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30';

/** A white "page" of this size with the PNG `inset` drawn at (left, top), and some grey text-like bars around it. */
function pageWith(inset: Buffer, width: number, height: number, left: number, top: number): Buffer {
  const page = new PNG({ width, height });
  page.data.fill(255);
  for (let y = 10; y < height; y += 24) {
    for (let x = 10; x < width - 10; x++) if (x % 60 < 45) page.data.fill(90, (y * width + x) * 4, (y * width + x) * 4 + 3);
  }
  const code = PNG.sync.read(inset);
  PNG.bitblt(code, page, 0, 0, code.width, code.height, left, top);
  return PNG.sync.write(page);
}

describe('decodeQrFromPng', () => {
  it('reads the text of a QR code PNG', async () => {
    expect(decodeQrFromPng(await QRCode.toBuffer(URI, { errorCorrectionLevel: 'M' }))).toBe(URI);
  });

  it('finds the code anywhere on a larger page', async () => {
    const code = await QRCode.toBuffer(URI, { errorCorrectionLevel: 'M', scale: 3 });
    expect(decodeQrFromPng(pageWith(code, 480, 320, 250, 60))).toBe(URI);
  });

  it('is undefined for an image without a QR code', async () => {
    const blank = await QRCode.toBuffer(URI, { color: { dark: '#ffffff', light: '#ffffff' } });
    expect(decodeQrFromPng(blank)).toBeUndefined();
    expect(decodeQrFromPng(pageWith(blank, 400, 300, 10, 10))).toBeUndefined();
  });

  it('refuses what is not a PNG', () => {
    expect(() => decodeQrFromPng(Buffer.from('not a png'))).toThrow();
  });
});
