// The SMART Health Card module (jose, qrcode) is loaded on first use, not when this room is imported: the
// composition root imports this room for its retention class, so every `mamori` command that opens the app
// would otherwise load them (the documents room loads its PDF libraries the same way).
import type * as Shc from '../certificates/index.js';

type ShcModule = typeof Shc;

let shc: Promise<ShcModule> | undefined;

export const shcModule = (): Promise<ShcModule> => (shc ??= import('../certificates/index.js'));
