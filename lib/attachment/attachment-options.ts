import type { AttachmentOptions } from '../chatter.options.js';
import { AttachmentStorage } from './attachment-storage.js';
import { DatabaseAttachmentStorage } from './database-attachment-storage.js';
import { FileSystemAttachmentStorage } from './filesystem-attachment-storage.js';

export interface ResolvedAttachmentOptions {
  storage: AttachmentStorage;
  maxBytes: number;
}

export function resolveAttachmentOptions(options: AttachmentOptions | undefined): ResolvedAttachmentOptions {
  const maxBytes = options?.maxBytes ?? 25 << 20;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new Error(`ChatterModule: attachments.maxBytes must be a positive integer, got ${maxBytes}`);
  const choice = options?.storage ?? 'database';
  let storage: AttachmentStorage;
  if (choice === 'database') storage = new DatabaseAttachmentStorage();
  else if (choice instanceof AttachmentStorage) storage = choice;
  else if (typeof choice === 'object' && typeof choice.directory === 'string') storage = new FileSystemAttachmentStorage(choice.directory);
  else throw new Error('ChatterModule: attachments.storage must be "database", { directory } or an AttachmentStorage');
  return { storage, maxBytes };
}
