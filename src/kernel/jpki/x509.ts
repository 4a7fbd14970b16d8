// @peculiar/x509 with Node's WebCrypto as its provider.  The library's dependency injection (tsyringe)
// needs a Reflect metadata polyfill loaded before it: this module is the one place that loads both, and
// every other module reaches the library through it (kernel/jpki's index re-exports `x509`).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
