import { connect, type ConnectionStatus, register, type RtmClient, RtmError } from "../sdk/mod.ts";
import { Chat } from "./chat.ts";
import { describeError } from "./describe_error.ts";
import { byId, fieldsOf } from "./dom.ts";

/**
 * The chat page. Only the refresh token is kept, in sessionStorage (this tab, gone when it
 * closes), so a reload resumes the session; access tokens live in memory and go to the servers
 * in headers and WebSocket subprotocols, never in a URL.
 */
const REFRESH_KEY = "rtm.refreshToken";

interface Endpoints {
  authUrl: string;
  producerUrl: string;
  consumerUrl: string;
}

let client: RtmClient | undefined;

async function main(): Promise<void> {
  const endpoints: Endpoints = await (await fetch("/config.json")).json();
  const stored = sessionStorage.getItem(REFRESH_KEY);
  if (stored) {
    try {
      return await enter(endpoints, { tokens: { refreshToken: stored } });
    } catch {
      sessionStorage.removeItem(REFRESH_KEY);
    }
  }
  showLogin(endpoints);
}

function showLogin(endpoints: Endpoints): void {
  byId("chat").hidden = true;
  byId("login").hidden = false;
  const form = byId<HTMLFormElement>("login-form");
  form.onsubmit = async (e) => {
    e.preventDefault();
    const action = ((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value;
    const { email, password, displayName } = fieldsOf(form);
    const error = byId("login-error");
    error.textContent = "";
    try {
      if (action === "register") {
        await register(endpoints, {
          email,
          password,
          ...(displayName.trim() ? { displayName } : {}),
        });
      }
      await enter(endpoints, { credentials: { email, password } });
    } catch (err) {
      error.textContent = err instanceof RtmError && err.code === "INVALID"
        ? err.message
        : describeError(err);
    }
  };
}

async function enter(
  endpoints: Endpoints,
  auth: Pick<Parameters<typeof connect>[0], "credentials" | "tokens">,
): Promise<void> {
  client = await connect({
    ...endpoints,
    ...auth,
    onTokens: (pair) => {
      if (pair.refreshToken) sessionStorage.setItem(REFRESH_KEY, pair.refreshToken);
    },
    onStatus: showStatus,
    onAuthLost: () => {
      sessionStorage.removeItem(REFRESH_KEY);
      client?.close();
      showLogin(endpoints);
    },
  });
  const chat = new Chat(client);
  showStatus(client.connectionStatus);
  byId("login").hidden = true;
  byId("chat").hidden = false;
  byId("logout").onclick = async () => {
    sessionStorage.removeItem(REFRESH_KEY);
    await client?.logout();
    location.reload();
  };
  await chat.start();
}

// A socket renewed at token expiry is back within a blink: only a longer outage is shown.
const STATUS_DELAY_MS = 800;
let statusTimer: ReturnType<typeof setTimeout> | undefined;

/** The connection indicator: online, or reconnecting while a socket comes back. */
function showStatus(status: ConnectionStatus): void {
  clearTimeout(statusTimer);
  const show = () => {
    const node = byId("status");
    node.className = `status ${status}`;
    node.textContent = status === "reconnecting" ? "reconnecting…" : status;
  };
  if (status === "reconnecting") statusTimer = setTimeout(show, STATUS_DELAY_MS);
  else show();
}

void main();
