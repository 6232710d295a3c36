import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import type { Attachment } from '../entities/attachment.entity.js';
import { AttachmentStorage, contentFromRow } from './attachment-storage.js';

/**
 * Bytes in files under `directory` (Odoo's filestore): `ab/abcdef…-random`, keyed by checksum prefix plus a random
 * part so that two rows never share a file (deleting one never breaks the other).
 * A file written for a transaction that then rolls back stays behind as an orphan: harmless, and never served.
 */
export class FileSystemAttachmentStorage extends AttachmentStorage {
  readonly kind = 'filesystem';
  private readonly root: string;

  constructor(directory: string) {
    super();
    if (!directory) throw new Error('FileSystemAttachmentStorage: a directory is required');
    this.root = resolve(directory);
  }

  async put(attachment: Attachment, content: Buffer): Promise<void> {
    const key = `${attachment.checksum.slice(0, 2)}/${attachment.checksum.slice(0, 40)}-${randomBytes(6).toString('hex')}`;
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { flag: 'wx' });
    attachment.storageKey = key;
    attachment.content = null;
  }

  async get(em: EntityManager, attachment: Attachment): Promise<Buffer> {
    if (!attachment.storageKey) return contentFromRow(em, attachment);
    return readFile(this.pathOf(attachment.storageKey));
  }

  async delete(storageKey: string): Promise<void> {
    await rm(this.pathOf(storageKey), { force: true });
  }

  /** keys come from our own rows, but a path must never leave the root whatever a row says */
  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`attachment key "${key}" is outside the attachment directory`);
    return path;
  }
}
