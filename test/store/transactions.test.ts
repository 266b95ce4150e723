// What `Store.transaction` promises callers, whatever the engine: the open transaction follows the
// asynchronous context, a nested one is a savepoint, and work outside it never lands in it.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { openTestStore, type TestStore } from '../helpers/test-db.ts';

let opened: TestStore;
let store: Store;
let run: string;

beforeEach(async () => {
  opened = await openTestStore();
  store = opened.store;
  run = (await store.createRun({ name: 'original', project: 'p', config: {}, meta: {}, tags: {} }, 0)).id;
});
afterEach(async () => opened.cleanup());

it('rolls back a failing nested transaction alone, and commits the outer one', async () => {
  await store.transaction(async () => {
    await store.updateRun(run, { note: 'outer' }, 1);
    await expect(
      store.transaction(async () => {
        await store.updateRun(run, { name: 'inner' }, 2);
        throw new Error('inner failed');
      }),
    ).rejects.toThrow('inner failed');
  });
  expect(await store.getRun(run)).toMatchObject({ note: 'outer', name: 'original' });
});

it('keeps every call inside the transaction across turns of the event loop, and undoes them all on failure', async () => {
  await expect(
    store.transaction(async () => {
      await store.updateRun(run, { note: 'before the turn' }, 1);
      await nextTurn();
      await store.saveRunRequest('key', { run, fingerprint: 'f' }, 1);
      throw new Error('failed late');
    }),
  ).rejects.toThrow('failed late');
  expect(await store.getRun(run)).toMatchObject({ note: null });
  expect(await store.runRequest('key')).toBeUndefined();
});

it('makes a write from outside wait for the open transaction, so its rollback does not undo it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const open = new Promise<void>((resolve) => (entered = resolve));
  const tx = store.transaction(async () => {
    await store.updateRun(run, { note: 'inside' }, 1);
    entered();
    await gate;
    throw new Error('rolled back');
  });
  await open;
  const outside = store.updateRun(run, { name: 'outside' }, 2);
  release();
  await expect(tx).rejects.toThrow('rolled back');
  await outside;
  expect(await store.getRun(run)).toMatchObject({ name: 'outside', note: null });
});

it('runs transactions started together one after the other', async () => {
  const order: string[] = [];
  const first = store.transaction(async () => {
    order.push('first begins');
    await nextTurn();
    await store.updateRun(run, { note: 'first' }, 1);
    order.push('first ends');
  });
  const second = store.transaction(async () => {
    order.push('second begins');
    await store.updateRun(run, { note: 'second' }, 2);
  });
  await Promise.all([first, second]);
  expect(order).toEqual(['first begins', 'first ends', 'second begins']);
  expect(await store.getRun(run)).toMatchObject({ note: 'second' });
});
