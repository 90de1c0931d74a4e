/** jest's globalTeardown for the in-process tier: stops what global-setup.js started. */
export default async function globalTeardown() {
  await globalThis.tierServices?.stop();
}
