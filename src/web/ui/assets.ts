// What the browser-facing apps outside the staff server share (the resident portal, the 医療機関用アプリ):
// the strict security headers and the Japanese font from its npm package.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyHelmetOptions } from '@fastify/helmet';

const require = createRequire(import.meta.url);

/** Helmet options: scripts, styles, fonts and calls from this origin only; no inline code; never framed. */
export const STRICT_HELMET: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"], connectSrc: ["'self'"],
      formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  frameguard: { action: 'deny' },
  crossOriginEmbedderPolicy: false,
};

/** BIZ UDPゴシック (decision 0105), by the file name the style sheets use. */
const FONTS: Record<string, string> = {
  'biz-udpgothic-400.ttf': '@expo-google-fonts/biz-udpgothic/400Regular/BIZUDPGothic_400Regular.ttf',
  'biz-udpgothic-700.ttf': '@expo-google-fonts/biz-udpgothic/700Bold/BIZUDPGothic_700Bold.ttf',
};
const fontBytes = new Map<string, Buffer>();

/** The font file's bytes, or undefined for any other name. */
export function uiFont(name: string): Buffer | undefined {
  const spec = Object.hasOwn(FONTS, name) ? FONTS[name] : undefined;
  if (!spec) return undefined;
  let b = fontBytes.get(name);
  if (!b) fontBytes.set(name, (b = readFileSync(require.resolve(spec))));
  return b;
}
