import { Injectable, Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { FetchMessageObject, ImapFlow, MailboxObject } from 'imapflow';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { InboundGateway } from '../gateway/inbound-gateway.js';
import { contentHash, peekMessageId, synthesizeMessageId } from '../gateway/raw-mail.js';
import { chunkBy } from '../schema/bulk-insert.js';
import { closeImapConnection, describeImapError, openImapConnection } from './imap-connection.js';
import { ImapCursorStore, type ImapCursor } from './imap-cursor.js';
import type { ResolvedImapMailbox } from './imap-mailbox-config.js';

/** a batch never holds more than this many bytes of mail (at least one mail, whatever its size) */
const MAX_BATCH_BYTES = 32 << 20;
/** the mails past the cursor are searched for once for this many batches, not once per batch */
const BATCHES_PER_SEARCH = 20;
/** a moving cursor is saved at most this often (and when the fetch ends); leases last 1 s at least */
const CURSOR_SAVE_MS = 250;

export interface ImapFetchResult {
  /** false when another replica holds the mailbox: nothing was done */
  leased: boolean;
  /** new ledger rows */
  received: number;
  /** mails the ledger already had (a redelivery after a crash, or a resync) */
  duplicates: number;
  /** mails the ledger refused; left unseen (or moved, see `onFailure`) */
  failed: number;
  uidValidity?: string;
}

interface Batch {
  uids: number[];
  /** UIDs received, or already in the ledger: flagged (or moved) and passed by the cursor */
  done: number[];
  /** UIDs that failed for good and were moved to the failure folder, or were expunged before we got them */
  parked: number[];
}

/**
 * One fetch of one IMAP mailbox, oldest mail first, in batches: each mail goes to the gateway, and only once its
 * ledger row is committed is it flagged `\Seen` (or moved). The cursor (last UID under the folder's UIDVALIDITY) is
 * saved every CURSOR_SAVE_MS, right after the mails it passes are flagged, so a crash anywhere re-fetches at most that
 * long's batches, which the flags hide from the search and the ledger's unique source key absorbs. The mails of a
 * batch are flagged together with those of the batches after it, up to the next save or search: one STORE per
 * CURSOR_SAVE_MS rather than one per batch. A new UIDVALIDITY restarts the cursor and matches the folder's older mails
 * by Message-ID.
 */
@Injectable()
export class ImapFetcher {
  private readonly logger = new Logger('ChatterImap');
  private readonly cursors: ImapCursorStore;
  /** failed attempts per `mailbox:uidvalidity:uid`, for `onFailure: { moveTo, attempts }` */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly orm: MikroORM,
    private readonly gateway: InboundGateway,
  ) {
    this.cursors = new ImapCursorStore(orm);
  }

  get cursorStore(): ImapCursorStore {
    return this.cursors;
  }

  /**
   * Fetches until the folder has nothing new, `shouldStop()` says so (shutdown: the mail in hand is finished and
   * flagged first), or an error. Errors are recorded on the mailbox state and rethrown with a readable message.
   */
  async fetch(mailbox: ResolvedImapMailbox, options: { owner: string; shouldStop?: () => boolean }): Promise<ImapFetchResult> {
    const shouldStop = options.shouldStop ?? (() => false);
    const result: ImapFetchResult = { leased: false, received: 0, duplicates: 0, failed: 0 };
    if (!(await this.cursors.acquire(mailbox.name, options.owner, mailbox.leaseMs))) return result;
    result.leased = true;
    let client: ImapFlow | undefined;
    try {
      await this.cursors.recordAttempt(mailbox.name);
      client = await openImapConnection(mailbox);
      const lock = await client.getMailboxLock(mailbox.folder);
      try {
        await this.drain(client, mailbox, options.owner, result, shouldStop);
      } finally {
        lock.release();
      }
      const failures = result.failed ? `${result.failed} mail(s) refused by the ledger, left in ${mailbox.folder}` : null;
      await this.cursors.recordSuccess(mailbox.name, result.received, failures);
      return result;
    } catch (error) {
      const message = describeImapError(error, mailbox);
      await this.cursors.recordError(mailbox.name, message).catch(() => undefined);
      throw new Error(message, { cause: error });
    } finally {
      await closeImapConnection(client);
      await this.cursors.release(mailbox.name, options.owner).catch(() => undefined);
    }
  }

  private async drain(client: ImapFlow, mailbox: ResolvedImapMailbox, owner: string, result: ImapFetchResult, shouldStop: () => boolean): Promise<void> {
    const box = client.mailbox as MailboxObject;
    const state = await this.cursors.load(mailbox.name);
    const validity = String(box.uidValidity);
    result.uidValidity = validity;
    let cursor: ImapCursor = { uidValidity: state.uidValidity, lastUid: state.lastUid, resyncBelowUid: state.resyncBelowUid };
    if (cursor.uidValidity !== validity) {
      // new folder, or the server renumbered it: every mail present now may already be in the ledger under old UIDs
      if (cursor.uidValidity !== null) {
        this.logger.warn(`mailbox "${mailbox.name}": UIDVALIDITY changed ${cursor.uidValidity} → ${validity}; resyncing by Message-ID`);
      }
      cursor = { uidValidity: validity, lastUid: 0, resyncBelowUid: box.uidNext };
      await this.saveCursor(mailbox, owner, cursor);
    }
    // UIDs below this existed when we selected the folder; later mail gets higher ones
    const uidNextAtOpen = box.uidNext;
    // failed in this run: retried next run, not again now
    const retryLater = new Set<number>();
    // the cursor moves after every batch, but is saved at most every CURSOR_SAVE_MS and when the fetch ends: a
    // crash re-fetches the batches since (flagged or moved already, or else found in the ledger), one UPDATE and
    // commit per batch is saved, and the lease is still renewed well within its shortest term
    let saved = cursor;
    let savedAt = Date.now();
    // mails in the ledger, not flagged yet: flagged (or moved) together before the cursor is saved or the folder
    // searched (Dovecot spent as much CPU on a STORE per batch of 50 as on FETCHing them: 30–40 ms per 1,000 mails)
    let committed: number[] = [];
    const flag = async () => {
      if (!committed.length) return;
      const uids = committed;
      committed = [];
      await this.settle(client, mailbox, uids);
    };
    const save = async (now: boolean) => {
      if (!now && Date.now() - savedAt < CURSOR_SAVE_MS) return;
      await flag();
      if (cursor !== saved) {
        await this.saveCursor(mailbox, owner, cursor);
        saved = cursor;
      }
      // also when the cursor waits below a refused mail: the flags still go out once per CURSOR_SAVE_MS, not per batch
      savedAt = Date.now();
    };
    try {
      while (!shouldStop()) {
        // flagged first: a search for unseen mail must not find them again (the cursor stays below a refused mail)
        await flag();
        const batches = await this.nextBatches(client, mailbox, cursor, retryLater);
        if (!batches.length) {
          // nothing left to take but the refused: what else is below uidNext was taken, or read by a person (Odoo
          // fetches unseen mail only), so the cursor can wait just before the first refused mail, or pass them all
          const last = Math.min(uidNextAtOpen, ...retryLater) - 1;
          cursor = passedTo(cursor, last);
          break;
        }
        // each batch's sources are read while the batch before it is committed: BODY.PEEK leaves them unseen, so a
        // batch read and then not taken (a stop, an error) is simply read again by the next fetch
        let reading = readSources(client, batches[0]);
        for (const [i, uids] of batches.entries()) {
          if (shouldStop()) break;
          const mails = await reading;
          if (i + 1 < batches.length) reading = readSources(client, batches[i + 1]);
          const batch = await this.takeBatch(client, mailbox, validity, cursor, uids, mails, result, retryLater, shouldStop);
          committed.push(...batch.done);
          // the cursor passes every mail up to the first one still waiting (failed and left, or not reached)
          const settled = new Set([...batch.done, ...batch.parked]);
          let last = cursor.lastUid;
          for (const uid of batch.uids) {
            if (!settled.has(uid)) break;
            last = uid;
          }
          cursor = passedTo(cursor, last);
          await save(false);
        }
      }
    } catch (error) {
      // the mails already in the ledger are flagged all the same, if the connection still allows (else the next fetch
      // finds them again, as duplicates)
      await flag().catch(() => undefined);
      throw error;
    }
    await save(true);
  }

  /**
   * The oldest mails past the cursor still to take (unseen ones, when success means `\Seen`), in batches of at most
   * `batchSize` mails and MAX_BATCH_BYTES, up to BATCHES_PER_SEARCH batches (a SEARCH per batch re-read the whole list
   * of UIDs still waiting each time). A mail no larger than its share of a batch's bytes cannot overfill one, so only
   * the larger ones are sized: a second SEARCH (`LARGER`) finds them, and a FETCH of sizes asks for theirs alone —
   * usually none. (Sizing every mail cost the event loop ~35 ms per 1,000 untagged FETCH answers, at the start of a
   * fetch, while the first batch waited to be processed.)
   */
  private async nextBatches(client: ImapFlow, mailbox: ResolvedImapMailbox, cursor: ImapCursor, skip: Set<number>): Promise<number[][]> {
    const range = `${cursor.lastUid + 1}:*`;
    const unseen = mailbox.onSuccess === 'seen' ? { seen: false } : {};
    const found = await client.search({ uid: range, ...unseen }, { uid: true });
    if (!Array.isArray(found)) throw new Error(`IMAP mailbox "${mailbox.name}": the server refused to search ${mailbox.folder}`);
    // `n:*` always matches the highest UID, even below n
    const uids = found.filter((uid) => uid > cursor.lastUid && !skip.has(uid)).sort((a, b) => a - b).slice(0, mailbox.batchSize * BATCHES_PER_SEARCH);
    if (uids.length <= 1) return uids.length ? [uids] : [];
    const share = batchShare(mailbox.batchSize);
    const large = await client.search({ uid: `${uids[0]}:${uids[uids.length - 1]}`, ...unseen, larger: share }, { uid: true });
    if (!Array.isArray(large)) throw new Error(`IMAP mailbox "${mailbox.name}": the server refused to search ${mailbox.folder}`);
    const wanted = new Set(uids);
    const sized = new Set(large.filter((uid) => wanted.has(uid)));
    const sizes = new Map<number, number>();
    if (sized.size) for (const m of await client.fetchAll([...sized], { uid: true, size: true }, { uid: true })) sizes.set(m.uid, m.size ?? 0);
    // a large mail expunged meanwhile has no size: it weighs as much as the largest mail could (it is not fetched)
    return planBatches(uids, (uid) => (sized.has(uid) ? (sizes.get(uid) ?? MAX_BATCH_BYTES) : share), mailbox.batchSize);
  }

  private async takeBatch(
    client: ImapFlow,
    mailbox: ResolvedImapMailbox,
    validity: string,
    cursor: ImapCursor,
    uids: number[],
    mails: FetchMessageObject[],
    result: ImapFetchResult,
    retryLater: Set<number>,
    shouldStop: () => boolean,
  ): Promise<Batch> {
    const batch: Batch = { uids, done: [], parked: [] };
    const fetched = new Set(mails.map((m) => m.uid));
    // expunged between SEARCH and FETCH: nothing to take, nothing to wait for
    batch.parked.push(...uids.filter((uid) => !fetched.has(uid)));
    const known = await this.alreadyInLedger(mailbox, mails.filter((m) => m.uid < cursor.resyncBelowUid));
    const failedForGood: number[] = [];
    const taking: FetchMessageObject[] = [];
    for (const mail of mails) {
      if (shouldStop()) break;
      if (known.has(mail.uid)) {
        result.duplicates++;
        batch.done.push(mail.uid);
      } else {
        taking.push(mail);
      }
    }
    // the whole batch goes to the gateway at once: its rows share ledger commits and processing batches
    const keyOf = (mail: FetchMessageObject) => `${mailbox.name}:${validity}:${mail.uid}`;
    const outcomes = await this.gateway.receiveMany(taking.map((mail) => ({ raw: mail.source!, source: { kind: 'imap' as const, key: keyOf(mail), mailbox: mailbox.name } })));
    for (const [i, outcome] of outcomes.entries()) {
      const mail = taking[i];
      const key = keyOf(mail);
      if (outcome.status === 'fulfilled') {
        if (outcome.value.duplicate) result.duplicates++;
        else result.received++;
        batch.done.push(mail.uid);
        this.failures.delete(key);
        continue;
      }
      result.failed++;
      retryLater.add(mail.uid);
      const attempts = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempts);
      this.logger.warn(`mailbox "${mailbox.name}": UID ${mail.uid} not taken (attempt ${attempts}): ${(outcome.reason as Error)?.message}`);
      if (typeof mailbox.onFailure === 'object' && attempts >= mailbox.onFailure.attempts) {
        failedForGood.push(mail.uid);
        this.failures.delete(key);
      }
    }
    if (failedForGood.length && typeof mailbox.onFailure === 'object') {
      const moved = await client.messageMove(failedForGood, mailbox.onFailure.moveTo, { uid: true });
      if (!moved) throw new Error(`IMAP mailbox "${mailbox.name}": could not move failed mails to "${mailbox.onFailure.moveTo}"`);
      batch.parked.push(...failedForGood);
    }
    return batch;
  }

  /** after a UIDVALIDITY change: the mails of this batch whose Message-ID the ledger already has for this mailbox */
  private async alreadyInLedger(mailbox: ResolvedImapMailbox, mails: FetchMessageObject[]): Promise<Set<number>> {
    if (!mails.length) return new Set();
    const ids = new Map<number, string>();
    for (const mail of mails) ids.set(mail.uid, peekMessageId(mail.source!) ?? synthesizeMessageId(contentHash(mail.source!)));
    const rows = await this.orm.em.fork().find(
      InboundEmail,
      { mailbox: mailbox.name, messageId: { $in: [...new Set(ids.values())] } },
      { fields: ['messageId'] },
    );
    const have = new Set(rows.map((r) => r.messageId));
    return new Set([...ids].filter(([, id]) => have.has(id)).map(([uid]) => uid));
  }

  /** the ledger has them: now, and only now, `\Seen` (or move) */
  private async settle(client: ImapFlow, mailbox: ResolvedImapMailbox, done: number[]): Promise<void> {
    // silent: without it the server answers with every mail's new flags, one untagged FETCH each, which imapflow parses
    // for nothing (~5 ms of the event loop per 1,000 mails)
    const ok = mailbox.onSuccess === 'seen'
      ? await client.messageFlagsAdd(done, ['\\Seen'], { uid: true, silent: true })
      : await client.messageMove(done, mailbox.onSuccess.moveTo, { uid: true });
    // not fatal for the mails: they are in the ledger, and the next fetch finds them again as duplicates
    if (!ok) throw new Error(`IMAP mailbox "${mailbox.name}": the server refused to ${mailbox.onSuccess === 'seen' ? 'flag mails \\Seen' : `move mails to "${mailbox.onSuccess.moveTo}"`}`);
  }

  private async saveCursor(mailbox: ResolvedImapMailbox, owner: string, cursor: ImapCursor): Promise<void> {
    if (!(await this.cursors.save(mailbox.name, owner, cursor, mailbox.leaseMs))) {
      throw new Error(`IMAP mailbox "${mailbox.name}": lost its lease to another replica (is leaseMs shorter than a batch takes?)`);
    }
  }
}

/**
 * The cursor moved on to UID `last` (unchanged if it is already there): the Message-ID resync ends once it has passed
 * every mail that was in the folder when UIDVALIDITY changed
 */
function passedTo(cursor: ImapCursor, last: number): ImapCursor {
  if (last <= cursor.lastUid) return cursor;
  return { ...cursor, lastUid: last, resyncBelowUid: last + 1 >= cursor.resyncBelowUid ? 0 : cursor.resyncBelowUid };
}

/** a mail of at most this many bytes fits in a batch of `batchSize` whatever the others weigh */
export function batchShare(batchSize: number): number {
  return Math.floor(MAX_BATCH_BYTES / batchSize);
}

/**
 * `uids` (oldest first) in batches of at most `batchSize` mails and `maxBytes` bytes, by `sizeOf` (an upper bound
 * is enough); a mail larger than `maxBytes` is a batch of its own.
 */
export function planBatches(uids: readonly number[], sizeOf: (uid: number) => number, batchSize: number, maxBytes = MAX_BATCH_BYTES): number[][] {
  return chunkBy(uids, sizeOf, batchSize, maxBytes);
}

/**
 * The sources of `uids`, oldest first. Started ahead of its turn: a failure is the caller's when it awaits the
 * result, and no unhandled rejection if it never does (the fetch stopped, the connection closed).
 */
function readSources(client: ImapFlow, uids: number[]): Promise<FetchMessageObject[]> {
  const reading = client.fetchAll(uids, { uid: true, source: true }, { uid: true }).then((mails) => mails.sort((a, b) => a.uid - b.uid));
  reading.catch(() => undefined);
  return reading;
}
