// JSON calls to the API with the login cookie; a lost login goes back to the login form.
// A dropped connection never throws into the page: it comes back as status 0, so a caller
// can say so and offer a retry (decisions.js, candidates.js).
export async function api(method, url, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    return { ok: false, status: 0, data: {} };
  }
  if (response.status === 401) {
    keepDrafts();
    location.href = `/login?expired=1&next=${encodeURIComponent(location.pathname + location.search)}`;
  }
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

// A login that ends mid-note loses nothing: what was typed waits in this tab's storage
// for the same page, which puts it back (restoreDrafts) once logged in again.
function keepDrafts() {
  document.querySelectorAll("textarea[id]").forEach((box) => {
    if (box.value.trim()) sessionStorage.setItem(`draft:${location.pathname}:${box.id}`, box.value);
  });
}

export function restoreDrafts() {
  let restored = false;
  document.querySelectorAll("textarea[id]").forEach((box) => {
    const key = `draft:${location.pathname}:${box.id}`;
    const kept = sessionStorage.getItem(key);
    if (kept === null) return;
    box.value = kept;
    sessionStorage.removeItem(key);
    restored = true;
  });
  return restored;
}

// A failure worth trying again: the request never arrived or the server failed, not a refusal.
export function retryable(result) {
  return result.status === 0 || result.status >= 500;
}

// Why a call failed, Chinese first, English beside.
export function problem(result) {
  if (result.status === 0) return "网络连接中断 Connection lost: the server was not reached";
  if (result.status >= 500) return `服务器出错 Server error (HTTP ${result.status})`;
  const detail = result.data.detail;
  if (Array.isArray(detail)) return `无效输入 Invalid input: ${detail.map((d) => `${d.loc.slice(-1)[0]}: ${d.msg}`).join("; ")}`;
  const why = { 403: "无权操作 Not allowed", 404: "未找到 Not found", 409: "冲突 Conflict", 422: "无效输入 Invalid input" }[result.status];
  if (why && detail && !/[\u4e00-\u9fff]/.test(detail)) return `${why}: ${detail}`;
  return detail || why || `HTTP ${result.status}`;
}
