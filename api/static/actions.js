// Filing an appeal (branch page) and deciding one (appeals page), then showing the result.
import { api, problem, retryable } from "./api.js";

document.querySelectorAll(".appeal-form").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await api("POST", `/api/v1/findings/${form.dataset.finding}/appeal`, {
      reason: form.elements.reason.value,
    });
    form.querySelector(".message").textContent = result.ok
      ? "申诉已提交 Appeal filed" : problem(result);
    if (result.ok) form.querySelector("button").disabled = true;
  });
});

// An appeal's decision is final, so it takes two steps: Uphold or Grant says what will
// happen (the points and yuan at stake), and only "Confirm the decision" sends it.
document.querySelectorAll(".decision-form").forEach((form) => {
  const step = form.querySelector(".confirm-step");
  const message = form.querySelector(".message");
  let decision = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    decision = event.submitter.value;
    const { points, yuan } = form.dataset;
    step.querySelector(".question").textContent = decision === "grant"
      ? `撤销扣分：该发现改为驳回，扣分 ${points} 分与罚款 ${yuan} 元一并取消。裁决后不能自行更改。 `
        + `Grant: the finding is dismissed; its ${points} point(s) and ${yuan} yuan are lifted. You cannot change it afterwards.`
      : `维持扣分：该发现仍为已确认，扣分 ${points} 分与罚款 ${yuan} 元维持。裁决后不能自行更改。 `
        + `Uphold: the finding stays confirmed; its ${points} point(s) and ${yuan} yuan stand. You cannot change it afterwards.`;
    step.hidden = false;
    step.querySelector(".go").focus();
  });
  step.querySelector(".cancel").addEventListener("click", () => { step.hidden = true; decision = null; });
  step.querySelector(".go").addEventListener("click", async () => {
    if (!decision) return;
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    message.textContent = "保存中… Saving…";
    const result = await api("POST", `/api/v1/appeals/${form.dataset.appeal}/decision`, {
      decision, note: form.elements.note.value,
    });
    message.textContent = result.ok
      ? (decision === "grant" ? "已撤销扣分 Granted: the finding is dismissed" : "已维持 Upheld")
      : `未裁决 Not decided: ${problem(result)}`;
    step.hidden = true;
    if (!result.ok && retryable(result)) buttons.forEach((b) => { b.disabled = false; });
  });
});

// Each appeal's clip in a box of the clip's own aspect, once its size is known (a module
// runs after the page is parsed: the size may be known already).
document.querySelectorAll(".appeal-card video").forEach((video) => {
  const fit = () => {
    if (video.videoWidth) video.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
  };
  if (video.readyState >= 1) fit();
  video.addEventListener("loadedmetadata", fit);
});

// Closing a rectification order (orders page), with the note on how it was fixed.
document.querySelectorAll(".close-form").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    const result = await api("POST", `/api/v1/rectifications/${form.dataset.order}/close`, {
      note: form.elements.note.value,
    });
    form.querySelector(".message").textContent = result.ok
      ? `已关闭 Closed by ${result.data.closed_by}` : `未关闭 Not closed: ${problem(result)}`;
    if (result.ok) form.closest("tr").dataset.status = "closed"; else button.disabled = false;
  });
});

// Withdrawing an order given in error (orders page), with the reason: it never counted.
document.querySelectorAll(".withdraw-form").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    const result = await api("POST", `/api/v1/rectifications/${form.dataset.order}/withdraw`, {
      reason: form.elements.reason.value,
    });
    form.querySelector(".message").textContent = result.ok
      ? `已撤回 Withdrawn by ${result.data.withdrawn_by}` : `未撤回 Not withdrawn: ${problem(result)}`;
    if (result.ok) form.closest("tr").dataset.status = "withdrawn"; else button.disabled = false;
  });
});
