// Issuing the week's notice from its draft (api/routes/pages/notices.py): the copy is
// stored as it stands, and the page then shows that issued copy.
import { api, problem } from "./api.js";

const issue = document.getElementById("issue-notice");
if (issue) {
  issue.addEventListener("click", async () => {
    const message = document.getElementById("issue-message");
    issue.disabled = true;
    message.textContent = "发出中… Issuing…";
    const result = await api("POST", `/api/v1/branches/${issue.dataset.branch}/notices/${issue.dataset.week}`);
    if (result.ok) {
      location.href = `?version=${result.data.version}`;
      return;
    }
    message.textContent = `未发出 Not issued: ${problem(result)}`;
    issue.disabled = false;
  });
}
