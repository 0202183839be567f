// @evrmore-auth/server/cloudflare: the Durable Object store for Cloudflare Workers. Loads under
// Node too (no `cloudflare:` imports): the Cloudflare types it needs are structural.
export {
  durableObjectStore,
  type DurableObjectStore,
  type DurableObjectStoreOptions,
} from './stores/durable-object/store.js';
export {
  EvrmoreAuthStoreObject,
  type EvrmoreAuthStoreObjectOptions,
} from './stores/durable-object/object.js';
export type {
  DurableObjectNamespaceLike,
  DurableObjectStateLike,
  DurableObjectStorageLike,
  DurableObjectStubLike,
  StorageListOptions,
  StorageOperationsLike,
} from './stores/durable-object/cloudflare-types.js';
