// Encrypted backup container.
//
//   line 1   "MAMORI-BACKUP/1"
//   line 2   JSON header (format, created, kekId, fileId, tables, migrations, counts …) — no personal data
//   frames   [u32 BE length][12-byte IV][16-byte GCM tag][ciphertext]   (plaintext: up to 1 MiB of gzip output)
//
// Each frame is AES-256-GCM sealed with a key derived from the master key (HKDF label "backup-v1"), and its
// associated data binds the file id, the frame index and whether it is the last frame, so frames cannot be
// reordered, dropped or truncated without the restore noticing.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const MAGIC = 'MAMORI-BACKUP/1';
const FRAME = 1 << 20;

function frameAad(fileId: string, index: number, last: boolean): Buffer {
  return Buffer.from(`${fileId}|${index}|${last ? 1 : 0}`, 'utf8');
}

/** Cuts its input into frames and seals each one. */
export class SealFrames extends Transform {
  private buf: Buffer[] = [];
  private size = 0;
  private index = 0;
  constructor(
    private readonly key: Buffer,
    private readonly fileId: string,
  ) {
    super();
  }
  private emitFrame(data: Buffer, last: boolean): void {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(frameAad(this.fileId, this.index++, last));
    const ct = Buffer.concat([c.update(data), c.final()]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(ct.length + 28);
    this.push(Buffer.concat([len, iv, c.getAuthTag(), ct]));
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.buf.push(chunk);
    this.size += chunk.length;
    while (this.size > FRAME) {
      const all = Buffer.concat(this.buf);
      this.emitFrame(all.subarray(0, FRAME), false);
      const rest = all.subarray(FRAME);
      this.buf = [rest];
      this.size = rest.length;
    }
    cb();
  }
  override _flush(cb: TransformCallback): void {
    this.emitFrame(Buffer.concat(this.buf), true);
    cb();
  }
}

/** Opens sealed frames; fails on any tampering, reordering or truncation. */
export class OpenFrames extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private index = 0;
  private sawLast = false;
  constructor(
    private readonly key: Buffer,
    private readonly fileId: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    try {
      for (;;) {
        if (this.pending.length < 4) break;
        const len = this.pending.readUInt32BE(0);
        if (this.pending.length < 4 + len) break;
        const frame = this.pending.subarray(4, 4 + len);
        this.pending = this.pending.subarray(4 + len);
        if (this.sawLast) throw new Error('最終フレームの後にデータがあります');
        this.push(this.open(frame));
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
  private open(frame: Buffer): Buffer {
    const iv = frame.subarray(0, 12);
    const tag = frame.subarray(12, 28);
    const ct = frame.subarray(28);
    for (const last of [false, true]) {
      try {
        const d = createDecipheriv('aes-256-gcm', this.key, iv);
        d.setAAD(frameAad(this.fileId, this.index, last));
        d.setAuthTag(tag);
        const out = Buffer.concat([d.update(ct), d.final()]);
        this.index += 1;
        this.sawLast = last;
        return out;
      } catch {
        /* try the other flag */
      }
    }
    throw new Error(`バックアップの第${this.index + 1}フレームを復号できません（改ざん・破損または鍵の不一致）`);
  }
  override _flush(cb: TransformCallback): void {
    if (!this.sawLast || this.pending.length > 0) cb(new Error('バックアップファイルが途中で切れています'));
    else cb();
  }
}
