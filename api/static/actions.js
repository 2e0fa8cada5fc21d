"use strict";
// Filing an appeal (branch page) and deciding one (appeals page), then showing the result.
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

document.querySelectorAll(".decision-form").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const decision = event.submitter.value;
    const result = await api("POST", `/api/v1/appeals/${form.dataset.appeal}/decision`, {
      decision, note: form.elements.note.value,
    });
    form.querySelector(".message").textContent = result.ok
      ? (decision === "grant" ? "已撤销扣分 Granted: the finding is dismissed" : "已维持 Upheld")
      : problem(result);
    if (result.ok) form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  });
});

// Each appeal's clip in a box of the clip's own aspect, once its size is known.
document.querySelectorAll(".appeal-card video").forEach((video) => {
  video.addEventListener("loadedmetadata", () => {
    if (video.videoWidth) video.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
  });
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
