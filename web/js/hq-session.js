// The HQ page's login to the hub: the session kept in this browser, and the API client (the
// box pages' client of api.js) that sends its token.
import { createApi } from './api.js';

const SESSION_KEY = 'tableorder.hq.session';

let session = null; // {token, expires_at, username}
try {
  session = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
} catch {
  session = null;
}
if (session && (!session.token || (session.expires_at && Date.parse(session.expires_at) <= Date.now()))) session = null;

export const getSession = () => session;
export const token = () => session?.token || '';
export function setSession(s) {
  session = s;
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

// Called when the hub refuses the token (401): the page goes back to the login form.
let onUnauthorized = () => {};
export const setUnauthorizedHandler = (fn) => (onUnauthorized = fn);

export const api = createApi({
  token,
  relogin: async () => {
    onUnauthorized();
    return false;
  },
});
