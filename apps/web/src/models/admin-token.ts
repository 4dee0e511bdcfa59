const KEY = "emotion:admin-token";

/** The admin token, kept for this tab only (sessionStorage): it unlocks promotions, so it should not outlive the tab. */
export function loadAdminToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveAdminToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage disabled (private mode): the token lasts as long as the page.
  }
}
