/**
 * Reads a QR code off an image, as a phone's camera would: for the browser specs, which take a
 * screenshot of the page that shows one (the two-step sign-in set-up) and check what it encodes.
 */
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

// jsqr is CommonJS whose module.exports is the function itself; its types declare it as an ES default export.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

/** The text of the QR code in a PNG (a whole page's screenshot will do), or undefined when it shows none. */
export function decodeQrFromPng(png: Buffer): string | undefined {
  const { data, width, height } = PNG.sync.read(png);
  // Dark modules on a light ground only: a page never shows the code inverted.
  return jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height, { inversionAttempts: 'dontInvert' })?.data;
}
