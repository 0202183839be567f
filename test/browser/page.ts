// The test page of multi-tab.test.ts: bundled by esbuild at test time from the client's sources.
import { createAuthClient, type AuthState } from '@evrmore-auth/client';
import { localKeySigner } from '@evrmore-auth/client/local-key';

const params = new URLSearchParams(location.search);
document.title = `tab ${params.get('tab') ?? '?'}`;
const auth = createAuthClient({
  baseUrl: '/auth',
  signer: localKeySigner({ privateKey: '42'.repeat(32) }),
  refreshMarginMs: Number(params.get('margin') ?? '60000'),
  refreshJitterMs: Number(params.get('jitter') ?? '10000'),
});
const transitions: string[] = [];
const view = document.getElementById('state')!;

function render(state: AuthState): void {
  view.textContent = [
    `tab: ${document.title}`,
    `status: ${state.status}`,
    `address: ${state.address ?? '-'}`,
    `session: ${state.session?.id ?? '-'}`,
    `reason: ${state.reason ?? '-'}`,
    `transitions: ${transitions.join(' → ')}`,
  ].join('\n');
}
render(auth.getState());
auth.subscribe((state) => {
  transitions.push(state.reason ? `${state.status}(${state.reason})` : state.status);
  render(state);
});

async function me(): Promise<{ status: number; body: unknown }> {
  const res = await auth.fetch('/api/me');
  return { status: res.status, body: await res.json().catch(() => null) };
}

Object.assign(window, {
  t: {
    signIn: async () => (await auth.signIn()).status,
    signOut: () => auth.signOut(),
    state: () => auth.getState(),
    token: () => auth.getAccessToken(),
    me,
    transitions: () => transitions,
    storage: () => ({
      local: Object.keys(localStorage).length,
      session: Object.keys(sessionStorage).length,
      cookie: document.cookie,
    }),
  },
});
