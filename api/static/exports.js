// The CSV and Excel buttons of the assessments page: the file for the form as filled now
// downloads, or the reason it cannot shows beside the buttons, never a page of raw JSON.
import { problem } from "./api.js";

(() => {
  const form = document.querySelector("form.filters");
  const message = document.getElementById("export-message");
  const tell = (text, kind) => { message.textContent = text; message.className = `message ${kind}`; };

  document.querySelectorAll("a.export").forEach((link) => {
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (v) query.set(k, v);
      const url = `/api/v1/assessments.${link.dataset.ext}?${query}`;
      tell(`正在生成… Preparing the ${link.textContent} file…`, "saving");
      let response;
      try {
        response = await fetch(url, { credentials: "same-origin" });
      } catch (error) {
        tell(`无法导出 Cannot export: ${problem({ status: 0, data: {} })}`, "conflict");
        return;
      }
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        tell(`无法导出 Cannot export: ${problem({ status: response.status, data })}`, "conflict");
        return;
      }
      const blob = await response.blob();
      const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      const name = named ? named[1] : `assessment.${link.dataset.ext}`;
      const save = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(save.href), 10_000);
      tell(`已下载 Downloaded: ${name}`, "ok");
    });
  });
})();
