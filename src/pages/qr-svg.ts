import QRCode from 'qrcode';

/** Modules of white around the code: the quiet zone the QR specification asks for. */
const QUIET_ZONE = 4;
/** Screen pixels per module: whole pixels keep the edges sharp; a version 7 code is then about 200 px. */
const PIXELS_PER_MODULE = 4;
const DEFAULT_LABEL = 'QR code to scan with your authenticator app';

/** The opening tag qrcode 1.5's SVG renderer writes (lib/renderer/svg-tag.js), its size captured. */
const SVG_OPEN = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) \1" shape-rendering="crispEdges">/;

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * `text` (an `otpauth://` URI) as a QR code in inline SVG markup, for a page to include as it is
 * (`{{{…}}}` in a template). Inline markup rather than an `<img>`: it needs nothing from the CSP
 * (src/common/security-headers.ts), no script and no second request, and the secret it carries
 * never becomes a URL that a log or a cache could keep.
 *
 * The markup is qrcode's (error correction M, which survives a glare on a phone screen), with no
 * XML prolog (it sits inside HTML), a size in whole pixels per module, and a name for screen
 * readers: `label`, never `text`, which holds the secret.
 */
export async function qrCodeSvg(text: string, label = DEFAULT_LABEL): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: QUIET_ZONE });
  const open = SVG_OPEN.exec(svg);
  // Only an upgrade of qrcode that changed its output gets here: the exact pin and qr-svg.spec.ts guard it.
  if (!open) throw new Error('qrcode wrote an SVG of an unexpected form');
  const side = Number(open[1]) * PIXELS_PER_MODULE;
  const name = escapeHtml(label);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${open[1]} ${open[1]}" width="${side}" height="${side}" ` +
    `shape-rendering="crispEdges" class="qr-code" role="img" aria-label="${name}"><title>${name}</title>` +
    svg.slice(open[0].length).trimEnd()
  );
}
