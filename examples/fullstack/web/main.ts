// The demo page: vanilla TypeScript on the client package's public API.
import {
  createAuthClient,
  EvrmoreAuthClientError,
  EvrmoreAuthError,
  type AuthState,
  type SessionInfo,
  type Signer,
} from '@evrmore-auth/client';
import { browserDpopKey } from '@evrmore-auth/client/dpop';
import { isErrorCode } from '@evrmore-auth/core';
import QRCode from 'qrcode';
import { errorCode, friendlyError, signedOutMessage } from './messages.js';
import { cancelled, demoWallet, injectedWallet, manualWallet, type Confirm } from './wallets.js';

// ---------------------------------------------------------------- small DOM helpers
const $ = <T extends HTMLElement = HTMLElement>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
};
const byTestId = <T extends HTMLElement = HTMLElement>(id: string): T =>
  $<T>(`[data-testid="${id}"]`);
const show = (el: HTMLElement, visible: boolean): void => {
  el.hidden = !visible;
};

const notice = byTestId('notice');
function showNotice(text: string | null, kind: 'error' | 'info' = 'error', code = ''): void {
  notice.textContent = text ?? '';
  notice.className = `notice ${kind}`;
  notice.dataset.code = code;
  show(notice, text !== null);
}
function showError(err: unknown): void {
  const code = errorCode(err);
  showNotice(friendlyError(err), code === 'user_rejected' ? 'info' : 'error', code);
}

/** Run a click handler with its button disabled, showing any error in the notice. */
function action(button: HTMLButtonElement, fn: () => Promise<void>): void {
  button.disabled = true;
  fn()
    .catch(showError)
    .finally(() => {
      button.disabled = false;
    });
}

// ---------------------------------------------------------------- the confirm step
// Every signer goes through this panel: the user reads the exact message before anything signs.
let pending: { resolve: (signature: string) => void; reject: (err: Error) => void } | null = null;
const signatureInput = $<HTMLTextAreaElement>('#manual-signature');

const confirm: Confirm = (request) => {
  pending?.reject(cancelled());
  $('#confirm-title').textContent = request.title;
  $('#confirm-help').textContent = request.help;
  byTestId('sign-message').textContent = request.message;
  byTestId('sign-command').textContent = request.command ?? '';
  show($('#manual-extra'), request.command !== undefined);
  signatureInput.value = '';
  $('#confirm-sign').textContent = request.action;
  return new Promise<string>((resolve, reject) => {
    pending = { resolve, reject };
    render();
    (request.command !== undefined ? signatureInput : $('#confirm-sign')).focus();
  });
};
function closeConfirm(result: { signature: string } | { error: Error }): void {
  const p = pending;
  pending = null;
  render();
  if ('signature' in result) p?.resolve(result.signature);
  else p?.reject(result.error);
}
$('#confirm-sign').addEventListener('click', () => {
  closeConfirm({ signature: signatureInput.value.trim() });
});
$('#confirm-cancel').addEventListener('click', () => closeConfirm({ error: cancelled() }));
$('#copy-command').addEventListener('click', () => {
  void navigator.clipboard?.writeText(byTestId('sign-command').textContent ?? '').catch(() => {});
});

// ---------------------------------------------------------------- wallets and the client
let demo = await demoWallet(confirm);
let activeSigner: Signer = demo.signer;
/** The client takes one signer; this one forwards to whichever wallet the user picked. */
const signer: Signer = {
  getAddress: () => activeSigner.getAddress(),
  signMessage: (message) => activeSigner.signMessage(message),
};
const manualAddress = $<HTMLInputElement>('#manual-address');
const manual = manualWallet(confirm, () => manualAddress.value.trim());

/** The API on the second origin (server/api.ts), set by the build (server/build-web.ts). */
declare const __API_ORIGIN__: string;

// DPoP: a non-extractable key in IndexedDB signs a proof for every token request and API call, so
// the tokens are bound to this browser; `allowedOrigins` lists the other origin that gets them.
const auth = createAuthClient({
  baseUrl: '/auth',
  signer,
  dpop: browserDpopKey(),
  allowedOrigins: [__API_ORIGIN__],
});

function showDemoWallet(): void {
  byTestId('demo-address').textContent = demo.address;
  byTestId('demo-wif').textContent = demo.wif;
  byTestId('share-wif').textContent = demo.wif;
}
showDemoWallet();

async function signIn(wallet: Signer): Promise<void> {
  showNotice(null);
  activeSigner = wallet;
  await auth.signIn();
}

$<HTMLButtonElement>('#demo-signin').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, () => signIn(demo.signer)),
);
$<HTMLButtonElement>('#demo-reveal').addEventListener('click', () => {
  show(byTestId('demo-wif'), true);
});
$<HTMLButtonElement>('#share-reveal').addEventListener('click', () => {
  show(byTestId('share-wif'), true);
});
$<HTMLFormElement>('#demo-import').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('#demo-import-wif');
  demoWallet(confirm, input.value.trim())
    .then((wallet) => {
      demo = wallet;
      input.value = '';
      showDemoWallet();
      showNotice(`Imported the demo key of ${wallet.address}.`, 'info');
    })
    .catch(() => showNotice('That is not an Evrmore mainnet private key (WIF).', 'error'));
});
$<HTMLFormElement>('#manual-form').addEventListener('submit', (e) => {
  e.preventDefault();
  action(byTestId<HTMLButtonElement>('manual-start'), () => signIn(manual));
});

// Satori GO injects `window.evrmore`, possibly after this script ran.
const hasInjectedWallet = (): boolean => 'evrmore' in window;
const injected = injectedWallet(confirm);
$<HTMLButtonElement>('#injected-signin').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, () => signIn(injected)),
);
window.addEventListener('evrmore#initialized', () => render());

// ---------------------------------------------------------------- access token countdown
// The client keeps the token private; getAccessToken() hands it out to read its `exp` claim
// for display only (the server is what verifies it).
let token: string | null = null;
let tokenExpiresAt = 0;
let renewals = 0;
let lastRenewal: Date | null = null;

/** The access token's claims (for display only: the server verifies them, the page cannot). */
function claimsOf(jwt: string): { exp?: unknown; roles?: unknown; permissions?: unknown } {
  const payload = jwt.split('.')[1] ?? '';
  return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
    exp?: unknown;
    roles?: unknown;
    permissions?: unknown;
  };
}
function expiryOf(jwt: string): number {
  const exp = claimsOf(jwt).exp;
  return typeof exp === 'number' ? exp * 1000 : 0;
}
/** The roles and permissions the server put in the access token (the roles map, server/auth.ts). */
function showRoles(jwt: string | null): void {
  const claims = jwt === null ? {} : claimsOf(jwt);
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
  const roles = list(claims.roles);
  const el = byTestId('account-roles');
  el.textContent = roles.length > 0 ? roles.join(', ') : '–';
  el.dataset.roles = roles.join(',');
  const perms = list(claims.permissions);
  byTestId('account-permissions').textContent =
    perms.length > 0 ? ` · may ${perms.join(', ')}` : '';
}
async function trackToken(): Promise<void> {
  const next = await auth.getAccessToken();
  if (next === null || next === token) return;
  if (token !== null) {
    renewals++;
    lastRenewal = new Date();
  }
  token = next;
  tokenExpiresAt = expiryOf(next);
  showRoles(next);
  tick();
}
function tick(): void {
  const el = byTestId('token-expiry');
  if (token === null) {
    el.textContent = '–';
    return;
  }
  const left = Math.max(0, Math.round((tokenExpiresAt - Date.now()) / 1000));
  el.textContent = `expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  el.dataset.seconds = String(left);
  const renewed = byTestId('token-refreshes');
  renewed.dataset.count = String(renewals);
  renewed.textContent =
    lastRenewal === null
      ? ' · renews itself before then'
      : ` · renewed automatically ${renewals}× (last at ${lastRenewal.toLocaleTimeString()})`;
}
setInterval(tick, 1000);

// ---------------------------------------------------------------- protected API
$<HTMLButtonElement>('#call-profile').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, async () => {
    const out = byTestId('profile-response');
    const res = await auth.fetch('/api/profile');
    const body: unknown = await res.json().catch(() => null);
    out.textContent = `HTTP ${res.status}\n${JSON.stringify(body, null, 2)}`;
    out.dataset.status = String(res.status);
    show(out, true);
  }),
);

// The admin-only action: a viewer's token is refused with 403 insufficient_scope.
$<HTMLButtonElement>('#admin-action').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, async () => {
    const out = byTestId('admin-response');
    const res = await auth.fetch('/api/admin/announce', { method: 'POST' });
    const body: unknown = await res.json().catch(() => null);
    out.textContent = `HTTP ${res.status}\n${JSON.stringify(body, null, 2)}`;
    out.dataset.status = String(res.status);
    show(out, true);
  }),
);

// A call to the API on the second origin: Authorization: DPoP <token> and a proof for its URL.
$<HTMLButtonElement>('#call-notes').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, async () => {
    const out = byTestId('notes-response');
    const res = await auth.fetch(`${__API_ORIGIN__}/api/notes`);
    const body: unknown = await res.json().catch(() => null);
    out.textContent = `HTTP ${res.status}\n${JSON.stringify(body, null, 2)}`;
    out.dataset.status = String(res.status);
    show(out, true);
  }),
);

// ---------------------------------------------------------------- sessions
function describeAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /node|undici/i.test(ua)
            ? 'Node.js'
            : 'Browser';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}
const time = (iso: string): string => new Date(iso).toLocaleString();

function sessionRow(session: SessionInfo): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset.testid = 'session-row';
  li.dataset.sessionId = session.id;
  li.dataset.current = String(session.current === true);
  const info = document.createElement('div');
  const title = document.createElement('strong');
  title.textContent = describeAgent(session.userAgent);
  info.append(title);
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'this browser';
    info.append(' ', badge);
  }
  const meta = document.createElement('div');
  meta.className = 'muted small';
  meta.textContent =
    `${session.ip ?? 'unknown IP'} · signed in ${time(session.createdAt)} · ` +
    `last seen ${time(session.lastSeenAt)} · id ${session.id.slice(0, 8)}…`;
  info.append(meta);
  li.append(info);
  const button = document.createElement('button');
  button.className = 'ghost danger';
  button.dataset.testid = 'revoke-session';
  button.textContent = session.current ? 'Sign out' : 'Revoke';
  button.addEventListener('click', () =>
    action(button, async () => {
      await auth.revokeSession(session.id);
      if (!session.current) {
        showNotice('That session was signed out.', 'info');
        await loadSessions();
      }
    }),
  );
  li.append(button);
  return li;
}
async function loadSessions(): Promise<void> {
  const sessions = await auth.listSessions();
  sessions.sort((a, b) => Number(b.current === true) - Number(a.current === true));
  const list = byTestId('sessions-list');
  list.replaceChildren(...sessions.map(sessionRow));
  list.dataset.count = String(sessions.length);
  byTestId<HTMLButtonElement>('revoke-others').disabled = sessions.length < 2;
}
$<HTMLButtonElement>('#sessions-reload').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, loadSessions),
);
$<HTMLButtonElement>('#revoke-others').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, async () => {
    await auth.revokeOtherSessions();
    showNotice('Every other session of this address was signed out.', 'info');
    await loadSessions();
  }),
);
$<HTMLButtonElement>('#sign-out').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, () => auth.signOut()),
);

// ---------------------------------------------------------------- two-factor authentication
type MfaView = 'off' | 'enrol' | 'codes' | 'on';
let mfaView: MfaView = 'off';
function setMfaView(view: MfaView): void {
  mfaView = view;
  show($('#mfa-off'), view === 'off');
  show($('#mfa-enrol'), view === 'enrol');
  show($('#mfa-codes'), view === 'codes');
  show($('#mfa-on'), view === 'on' || view === 'codes');
  $('#mfa-card').dataset.view = view;
}
/** An error answer of the app's API: problem+json like the auth routes, so it keeps its code. */
async function apiError(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => null)) as { code?: unknown; detail?: unknown } | null;
  if (isErrorCode(body?.code))
    return new EvrmoreAuthError(
      body.code,
      typeof body.detail === 'string' ? { detail: body.detail } : {},
    );
  return new EvrmoreAuthClientError('invalid_response', `unexpected HTTP ${res.status} answer`, {
    status: res.status,
  });
}
/** Whether this address has two-factor authentication on: the app's own API says so. */
async function loadMfaStatus(): Promise<void> {
  const res = await auth.fetch('/api/profile');
  if (!res.ok) throw await apiError(res);
  const profile = (await res.json()) as { mfaEnabled?: boolean };
  if (mfaView !== 'codes') setMfaView(profile.mfaEnabled ? 'on' : 'off');
}
async function mfaPost<T>(path: string, body: object): Promise<T | null> {
  const res = await auth.fetch(`/auth/mfa/totp/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await apiError(res);
  return res.status === 204 ? null : ((await res.json()) as T);
}
$<HTMLButtonElement>('#mfa-setup').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, async () => {
    const setup = await mfaPost<{ secret: string; uri: string }>('setup', {});
    if (!setup) return;
    await QRCode.toCanvas($<HTMLCanvasElement>('#mfa-qr'), setup.uri, { width: 200, margin: 1 });
    byTestId('mfa-secret').textContent = setup.secret.replace(/(.{4})(?=.)/g, '$1 ');
    setMfaView('enrol');
    $('#mfa-enable-code').focus();
  }),
);
$<HTMLFormElement>('#mfa-enable-form').addEventListener('submit', (e) => {
  e.preventDefault();
  action(byTestId<HTMLButtonElement>('mfa-enable'), async () => {
    const input = $<HTMLInputElement>('#mfa-enable-code');
    const result = await mfaPost<{ backupCodes: string[] }>('enable', { code: input.value.trim() });
    input.value = '';
    const list = byTestId('mfa-backup-codes');
    list.replaceChildren(
      ...(result?.backupCodes ?? []).map((code) => {
        const li = document.createElement('li');
        li.textContent = code;
        return li;
      }),
    );
    setMfaView('codes');
    showNotice('Two-factor authentication is on.', 'info');
  });
});
$<HTMLFormElement>('#mfa-disable-form').addEventListener('submit', (e) => {
  e.preventDefault();
  action(byTestId<HTMLButtonElement>('mfa-disable'), async () => {
    const input = $<HTMLInputElement>('#mfa-disable-code');
    await mfaPost('disable', { code: input.value.trim() });
    input.value = '';
    setMfaView('off');
    showNotice('Two-factor authentication is off.', 'info');
  });
});

// The second step of a sign-in for an address with two-factor authentication.
let useBackupCode = false;
function setUseBackupCode(on: boolean): void {
  useBackupCode = on;
  const input = $<HTMLInputElement>('#mfa-code');
  input.placeholder = useBackupCode ? 'backup code' : '123456';
  input.inputMode = useBackupCode ? 'text' : 'numeric';
  $('#mfa-step-help').textContent = useBackupCode
    ? 'Enter one of the backup codes you saved when you turned on two-factor authentication.'
    : 'Your signature was accepted. Enter the 6-digit code from your authenticator app.';
  $('#mfa-use-backup').textContent = useBackupCode
    ? 'Use the authenticator app instead'
    : 'Use a backup code instead';
}
$('#mfa-use-backup').addEventListener('click', () => {
  setUseBackupCode(!useBackupCode);
  $('#mfa-code').focus();
});
$<HTMLButtonElement>('#mfa-cancel').addEventListener('click', (e) =>
  action(e.currentTarget as HTMLButtonElement, () => auth.signOut()),
);
$<HTMLFormElement>('#mfa-form').addEventListener('submit', (e) => {
  e.preventDefault();
  action(byTestId<HTMLButtonElement>('mfa-submit'), async () => {
    const input = $<HTMLInputElement>('#mfa-code');
    await auth.verifyMfa(input.value.trim());
    input.value = '';
    setUseBackupCode(false);
    setMfaView('on');
  });
});

// ---------------------------------------------------------------- rendering the state
const STATUS_TEXT: Record<AuthState['status'], string> = {
  'signed-out': 'Signed out',
  'signing-in': 'Signing in…',
  'signed-in': 'Signed in',
  refreshing: 'Renewing…',
  'mfa-required': 'Second step',
  error: 'Error',
};
let wasSignedIn = false;

function render(state: AuthState = auth.getState()): void {
  const pill = byTestId('status');
  pill.textContent =
    state.status === 'error' && state.session === null
      ? 'Not signed in'
      : STATUS_TEXT[state.status];
  pill.dataset.status = state.status;

  const signedIn = state.session !== null;
  const starting = state.status === 'refreshing' && !signedIn && !wasSignedIn;
  const confirming = pending !== null;
  show($('#confirm'), confirming);
  show($('#mfa-step'), state.status === 'mfa-required' && !confirming);
  show($('#signed-in'), signedIn && !confirming);
  show($('#signed-out'), !signedIn && !confirming && !starting && state.status !== 'mfa-required');
  show($('#injected-card'), hasInjectedWallet());
  for (const b of document.querySelectorAll<HTMLButtonElement>('#signed-out button.primary'))
    b.disabled = state.status === 'signing-in';

  show($('#share-hint'), signedIn && state.address === demo.address);
  if (signedIn) {
    byTestId('account-address').textContent = state.address ?? '';
    byTestId('account-session').textContent = state.session?.id ?? '';
  }
  if (signedIn && !wasSignedIn) {
    // Just signed in (or restored after a reload).
    wasSignedIn = true;
    showNotice(null);
    show(byTestId('profile-response'), false);
    show(byTestId('admin-response'), false);
    void loadSessions().catch(showError);
    void loadMfaStatus().catch(showError);
  }
  if (!signedIn && wasSignedIn) {
    wasSignedIn = false;
    token = null;
    showRoles(null);
    renewals = 0;
    lastRenewal = null;
    setMfaView('off');
    show(byTestId('share-wif'), false);
    tick();
  }
  if (state.status === 'signed-out') {
    const text = signedOutMessage(state.reason);
    if (text !== null)
      showNotice(text, state.reason === 'user' ? 'info' : 'error', state.reason ?? '');
  }
  if (state.status === 'error' && state.error !== null) showError(state.error);
  if (state.status === 'signed-in') void trackToken().catch(() => {});
}

auth.subscribe((state) => render(state));
setMfaView(mfaView);
render();
